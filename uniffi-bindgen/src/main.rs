//! uniffi's binding generator at the workspace's uniffi version, so the generated Kotlin,
//! Swift and Python always match the scaffolding compiled into client-core.
//! Run through `scripts/bindings`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
