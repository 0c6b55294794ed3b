#!/usr/bin/env bash
# Compiles client-core's generated Kotlin binding together with docs/mobile.md's Kotlin
# sample (Sample.kt) and its test driver (Main.kt), then runs them on the JVM against a
# real rapport-server --demo. Run scripts/bindings and build rapport-server first
# (scripts/test does).
#
#   tests/kotlin/run.sh
#
# What it needs, and where it comes from (Maven Central is out of reach of the project's
# machines, and Debian's own Kotlin, 1.3, cannot read uniffi's Kotlin):
#   - a JDK (17) and python3 with pip;
#   - the Kotlin compiler and kotlinx-coroutines: JetBrains' Kotlin 2 compiler as shipped
#     in the PyPI package kotlin-jupyter-kernel (pinned below), installed once with pip
#     into $RAPPORT_KOTLIN_TOOLS (default ~/.cache/rapport-kotlin);
#   - JNA: Debian's libjna-java (/usr/share/java/jna.jar; .ci/run installs it).
# Ends with the driver's line `kotlin: N passed, M failed`; exits non-zero if any check
# failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

kernel_version=0.19.0.944
tools="${RAPPORT_KOTLIN_TOOLS:-$HOME/.cache/rapport-kotlin}/kotlin-jupyter-kernel-$kernel_version"
jna="${RAPPORT_JNA_JAR:-/usr/share/java/jna.jar}"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
binding=target/bindings/kotlin/uniffi/rapport_client_core/rapport_client_core.kt
out=target/kotlin-test

for f in "$binding" "$target/debug/librapport_client_core.so" "$target/debug/rapport-server" "$jna"; do
    if [ ! -e "$f" ]; then
        echo "$f is missing: run scripts/bindings and cargo build -p rapport-server," \
            "and install Debian's libjna-java" >&2
        exit 1
    fi
done

jars="$tools/run_kotlin_kernel/jars"
if ! compgen -G "$jars/kotlin-jupyter-kernel-*-all.jar" >/dev/null; then
    echo "Installing the Kotlin compiler (PyPI kotlin-jupyter-kernel $kernel_version) into $tools"
    rm -rf "$tools"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$tools" \
        "kotlin-jupyter-kernel==$kernel_version"
fi
compiler="$(compgen -G "$jars/kotlin-jupyter-kernel-*-all.jar" | head -n 1)"
stdlib="$(compgen -G "$jars/kotlin-stdlib-*.jar" | head -n 1)"
# The kernel's jar carries the compiler (org.jetbrains.kotlin.cli.jvm.K2JVMCompiler) and
# kotlinx-coroutines, which the binding's suspend functions need.
libs="$stdlib:$compiler:$jna"

rm -rf "$out"
mkdir -p "$out"
java -Xmx2g -cp "$compiler" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler \
    -no-stdlib -no-reflect -jvm-target 17 -cp "$libs" -d "$out/classes" \
    "$binding" tests/kotlin/Sample.kt tests/kotlin/Main.kt
java -Djna.library.path="$target/debug" -cp "$out/classes:$libs" \
    rapport.sample.MainKt "$target/debug/rapport-server" docs/mobile.md tests/kotlin/Sample.kt
