// What an Android app does with Rapport: open the client, sign in, log a visit offline,
// show what is waiting, sync, refresh on changes and read the manager's weekly report.
// docs/mobile.md shows this file as it is, and tests/kotlin/Main.kt runs it against a
// real rapport-server (scripts/test), so the sample always compiles and works.
package rapport.sample

import java.util.TimeZone
import uniffi.rapport_client_core.*

/** What the sync indicator shows after a sync. */
sealed class SyncState {
    data class Done(val result: SyncResult) : SyncState()
    data class Offline(val waiting: ULong) : SyncState()
    object SignIn : SyncState()
    data class Refused(val recordId: String?, val code: String, val reason: String) : SyncState()
    data class Failed(val message: String) : SyncState()
}

/**
 * One per app: open it at start-up on the app's private files directory (Android:
 * `context.filesDir.resolve("rapport").path`) and keep it for the life of the process.
 */
class FieldApp(dir: String) {
    val rapport: RapportClient = RapportClient.open(dir)

    /** Show the sign-in screen only when nobody signed in on this device; offline is fine. */
    fun needsSignIn(): Boolean = rapport.status().signedInAs == null

    /** Signing in waits on the network: the async variant suspends, never blocks a thread. */
    suspend fun signIn(server: String, company: String, user: String, password: String) {
        rapport.loginAsync(server, company, user, password)
    }

    /** Lists and screens refresh when records change: after a local write or a sync. */
    fun onRecordsChanged(refresh: (Change) -> Unit) {
        rapport.setChangeObserver(object : ChangeObserver {
            override fun onChange(change: Change) = refresh(change) // on the writing thread
        })
    }

    /** Now, where the rep is: Unix milliseconds and the UTC offset in minutes. */
    fun now(): LocalTime {
        val ms = System.currentTimeMillis()
        return LocalTime(unixMs = ms, offsetMin = TimeZone.getDefault().getOffset(ms) / 60_000)
    }

    /** Logging a visit works offline: one local transaction, sent with the next sync. */
    fun logVisit(accountId: String, purpose: String, nextStep: String, nextStepDue: String): String {
        val now = now()
        return rapport.createVisit(Visit(accountId = accountId, occurredAt = now, loggedAt = now,
            durationMin = 45, purpose = purpose, notes = "", contactsMet = listOf(),
            checkIn = null, spin = listOf(Spin.SITUATION), objections = listOf(),
            signals = listOf(Signal.NEXT_STEP), nextStep = nextStep, nextStepDue = nextStepDue))
    }

    /** "N changes waiting", shown while anything is waiting. */
    fun waitingBanner(): String? = when (val waiting = rapport.pendingChanges()) {
        0uL -> null
        1uL -> "1 change waiting"
        else -> "$waiting changes waiting"
    }

    /**
     * Sync from a coroutine (pull-to-refresh, a WorkManager CoroutineWorker): the sync runs
     * on a thread of its own and this suspends meanwhile, so the UI thread never freezes.
     */
    suspend fun syncNow(progress: SyncProgress? = null): SyncState = try {
        SyncState.Done(rapport.syncAsync(progress))
    } catch (e: RapportException.Offline) {
        SyncState.Offline(rapport.pendingChanges())
    } catch (e: RapportException.SignedOut) {
        SyncState.SignIn
    } catch (e: RapportException.Rejected) {
        SyncState.Refused(e.recordId, e.code, e.reason)
    } catch (e: RapportException) {
        SyncState.Failed(e.toString())
    }

    /** The manager's weekly report: visits a rep logged this week (online). */
    suspend fun visitsThisWeek(username: String): ULong? =
        rapport.weeklyReportAsync(null, null).reps.firstOrNull { it.username == username }?.visits
}
