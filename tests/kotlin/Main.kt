// Runs docs/mobile.md's Kotlin sample (Sample.kt) against a real rapport-server --demo,
// through the generated Kotlin binding on the JVM, and checks what it must do:
//
//   tests/kotlin/run.sh    (scripts/test runs it after the Python test)
//
// Ends with a line `kotlin: N passed, M failed` and exits non-zero if any check failed.
package rapport.sample

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.nio.file.Files
import java.time.LocalDate
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlinx.coroutines.runBlocking
import uniffi.rapport_client_core.*

const val COMPANY = "demo"
const val PASSWORD = "rapport-demo"

/** A rapport-server with the demo company in its own data directory. */
class Server(private val binary: String) {
    private val dataDir: File = Files.createTempDirectory("rapport-kt-server-").toFile()
    private var listen = "127.0.0.1:0"
    private var process: Process? = null
    var url = ""
        private set

    init {
        start()
    }

    fun start() {
        val p = ProcessBuilder(binary, "--data-dir", dataDir.path, "--listen", listen, "--demo")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
        p.environment()["RAPPORT_LOG"] = "warn"
        val started = p.start()
        process = started
        val out = BufferedReader(InputStreamReader(started.inputStream))
        val pattern = Regex("Rapport listening on (http://\\S+)")
        while (true) {
            val line = out.readLine() ?: break
            val m = pattern.find(line)
            if (m != null) {
                url = m.groupValues[1]
                break
            }
        }
        if (url.isEmpty() || !started.isAlive) throw IllegalStateException("rapport-server did not start")
        // Restarts listen on the same address, as a phone finds its server again.
        listen = url.removePrefix("http://")
        thread(isDaemon = true) { while (out.readLine() != null) { } }
    }

    fun stop() {
        process?.let {
            it.destroyForcibly()
            it.waitFor(30, TimeUnit.SECONDS)
        }
        process = null
    }

    fun restart() {
        stop()
        // The old socket may linger a moment: wait until the port is free again.
        val port = listen.substringAfterLast(':').toInt()
        for (i in 0 until 50) {
            val free = try {
                ServerSocket().use { s ->
                    s.reuseAddress = true
                    s.bind(InetSocketAddress("127.0.0.1", port))
                }
                true
            } catch (e: java.io.IOException) {
                false
            }
            if (free) break
            Thread.sleep(100)
        }
        start()
    }

    fun close() {
        stop()
        dataDir.deleteRecursively()
    }
}

class Checks {
    var passed = 0
    var failed = 0

    fun check(what: String, ok: Boolean, detail: Any? = null) {
        if (ok) {
            passed++
            println("ok    $what")
        } else {
            failed++
            println("FAIL  $what" + (if (detail != null) ": $detail" else ""))
        }
    }
}

/** The ```kotlin block of docs/mobile.md that follows the line naming Sample.kt. */
fun docSample(doc: File): String? {
    val lines = doc.readLines()
    val marker = lines.indexOfFirst { it.contains("tests/kotlin/Sample.kt") }
    if (marker < 0) return null
    val open = (marker until lines.size).firstOrNull { lines[it] == "```kotlin" } ?: return null
    val close = (open + 1 until lines.size).firstOrNull { lines[it] == "```" } ?: return null
    return lines.subList(open + 1, close).joinToString("\n") + "\n"
}

fun main(args: Array<String>) {
    if (args.size != 3) {
        System.err.println("usage: Main <rapport-server binary> <docs/mobile.md> <Sample.kt>")
        System.exit(2)
    }
    val checks = Checks()
    checks.check("docs/mobile.md's Kotlin sample is tests/kotlin/Sample.kt, verbatim",
        docSample(File(args[1])) == File(args[2]).readText())
    val server = Server(args[0])
    val dirs = mutableListOf<File>()
    fun device(): String = Files.createTempDirectory("rapport-kt-device-").toFile().also { dirs.add(it) }.path
    try {
        runBlocking { fieldDay(checks, server, ::device) }
    } catch (e: Throwable) {
        checks.check("the field day ran to its end", false, e)
    } finally {
        server.close()
        dirs.forEach { it.deleteRecursively() }
    }
    println("kotlin: ${checks.passed} passed, ${checks.failed} failed")
    System.exit(if (checks.failed == 0 && checks.passed > 0) 0 else 1)
}

suspend fun fieldDay(checks: Checks, server: Server, device: () -> String) {
    // Start-up and sign-in, as the sample does it.
    val rep = FieldApp(device())
    checks.check("a new device needs a sign-in", rep.needsSignIn())
    rep.signIn(server.url, COMPANY, "li", PASSWORD)
    checks.check("signed in (async variant)", !rep.needsSignIn())
    val changes = Collections.synchronizedList(mutableListOf<Change>())
    rep.onRecordsChanged { changes.add(it) }
    val first = rep.syncNow()
    checks.check("the first sync completes", first is SyncState.Done, first)
    checks.check("the first sync told the observer what arrived",
        changes.any { c -> c.origin == ChangeOrigin.SYNC && c.kinds.contains(RecordKind.ACCOUNT) }, changes)
    val account = rep.rapport.listAccounts().first()

    val manager = FieldApp(device())
    manager.signIn(server.url, COMPANY, "wang", PASSWORD)
    manager.syncNow()
    val before = manager.visitsThisWeek("li") ?: 0uL
    // The rep's second device (a tablet), to see a sync bring the visit in.
    val tablet = FieldApp(device())
    tablet.signIn(server.url, COMPANY, "li", PASSWORD)
    tablet.syncNow()

    // The server goes away; the rep logs a visit offline.
    server.stop()
    changes.clear()
    val today = LocalDate.now().toString()
    val visitId = rep.logVisit(account.id, "Quarterly review", "Send the quote", today)
    checks.check("one change waiting after logging offline", rep.rapport.pendingChanges() == 1uL,
        rep.rapport.pendingChanges())
    checks.check("the banner says so", rep.waitingBanner() == "1 change waiting", rep.waitingBanner())
    checks.check("the observer heard the local write",
        changes.any { c -> c.origin == ChangeOrigin.LOCAL && c.records == listOf(ChangedRecord(RecordKind.VISIT, visitId)) },
        changes)
    val offline = rep.syncNow()
    checks.check("a sync without the server is Offline, still 1 waiting",
        offline == SyncState.Offline(1uL), offline)

    // Back on the same address: the waiting visit goes up.
    server.restart()
    val progress = Collections.synchronizedList(mutableListOf<Long>())
    val synced = rep.syncNow(object : SyncProgress {
        override fun onProgress(roundTrips: UInt, documents: ULong) {
            progress.add(documents.toLong())
        }
    })
    checks.check("the sync after reconnecting sends the visit",
        synced is SyncState.Done && synced.result.accepted == 1uL && synced.result.waiting == 0uL, synced)
    checks.check("progress was reported", progress.isNotEmpty(), progress)
    checks.check("nothing waits any more", rep.waitingBanner() == null && rep.rapport.pendingChanges() == 0uL)

    // The rep's tablet receives it, and its observer hears of it.
    val heard = Collections.synchronizedList(mutableListOf<Change>())
    tablet.onRecordsChanged { heard.add(it) }
    tablet.syncNow()
    checks.check("the tablet's sync told the observer of the visit",
        heard.any { c -> c.origin == ChangeOrigin.SYNC && c.records.contains(ChangedRecord(RecordKind.VISIT, visitId)) },
        heard)

    // The manager's weekly report counts it.
    val after = manager.visitsThisWeek("li")
    checks.check("the weekly report counts the visit logged offline: $before + 1",
        after == before + 1uL, "before $before, after $after")

    moreOfTheBinding(checks, rep, manager, account.id, visitId, today)
}

/** What else an app needs of the binding: rules, scorecard, the due list, rejections. */
suspend fun moreOfTheBinding(checks: Checks, rep: FieldApp, manager: FieldApp, accountId: String,
                             visitId: String, today: String) {
    val rules = rep.rapport.rules()
    val report = manager.rapport.weeklyReportAsync(null, null)
    checks.check("the rules' weekly target is the report's", rules.weeklyVisitTarget == report.target,
        "${rules.weeklyVisitTarget} vs ${report.target}")
    val card = rep.rapport.scorecardAsync(null, null)
    val visits = card.metrics.firstOrNull { it.key == "visits" }
    checks.check("the rep's scorecard counts the visit",
        card.repUsername == "li" && visits != null && visits.records.any { it.id == visitId }, visits)

    val due = rep.rapport.due(today, 30u)
    checks.check("the due list has the visit's next step",
        due.any { d -> val w = d.what; w is DueKind.NextStep && w.visitId == visitId && w.step == "Send the quote" }, due)
    checks.check("the due list has the visits the accounts' cadence asks for",
        due.any { it.what is DueKind.Visit })
    try {
        rep.rapport.due("06/12/2026", 7u)
        checks.check("a bad date is refused", false)
    } catch (e: RapportException.InvalidInput) {
        checks.check("a bad date is refused, naming the field", e.field == "today", e)
    }

    // A rep may not rename an account: the refusal carries its code next to its words.
    val item = rep.rapport.listAccounts().first { it.id == accountId }
    val renamed = item.record.copy(name = item.record.name + " (renamed by a rep)")
    rep.rapport.updateAccount(item.id, renamed)
    val refused = rep.syncNow()
    checks.check("the rename is refused with its code",
        refused is SyncState.Refused && refused.recordId == item.id && refused.code == "admin_only"
            && refused.reason.contains("only an admin"), refused)
    val rejection = rep.rapport.status().rejections.firstOrNull()
    checks.check("status lists the rejection with its code and kind",
        rejection != null && rejection.recordId == item.id && rejection.code == "admin_only"
            && rejection.kind == RecordKind.ACCOUNT, rejection)
    try {
        rep.rapport.weeklyReportAsync(null, null)
        checks.check("a rep's request for the weekly report is refused", false)
    } catch (e: RapportException.Rejected) {
        checks.check("a rep's request for the weekly report is refused with a code",
            e.recordId == null && e.code == "forbidden", e)
    }
}
