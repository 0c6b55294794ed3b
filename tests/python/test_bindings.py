"""The generated Python binding of client-core, against a real rapport-server.

Plain python3 and unittest: the binding uses ctypes, nothing needs installing. Run
`scripts/bindings` first (scripts/test does), then:

    python3 tests/python/test_bindings.py

It drives the app's whole day through the FFI (sign in, sync, log offline, sync after the
server comes back, the manager's weekly report), the async variants, the change observer,
the rules, the scorecard and the due list, and checks that each public error variant is
raised where an app must act on it (a refusal with its reason code). Ends with a line `python: N passed, M failed`.
"""

import asyncio
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
if not TARGET.is_absolute():
    TARGET = ROOT / TARGET
SERVER_BIN = TARGET / "debug" / "rapport-server"
sys.path.insert(0, str(ROOT / "target" / "bindings" / "python"))

import rapport_client_core as rapport  # noqa: E402  (the path is set just above)
from rapport_client_core import RapportError  # noqa: E402

COMPANY = "demo"
PASSWORD = "rapport-demo"
SHANGHAI_MIN = 480


class Server:
    """A rapport-server with the demo company, in its own data directory."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="rapport-py-server-")
        self.listen = "127.0.0.1:0"
        self.proc = None
        self.url = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [str(SERVER_BIN), "--data-dir", self.dir.name, "--listen", self.listen, "--demo"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, RAPPORT_LOG="warn"),
            text=True,
        )
        deadline = time.time() + 60
        for line in self.proc.stdout:
            m = re.match(r"Rapport listening on (http://\S+)", line)
            if m:
                self.url = m.group(1)
                break
            if time.time() > deadline:
                break
        if self.url is None:
            self.stop()
            raise RuntimeError("rapport-server did not start")
        # Restarts listen on the same port, as a phone would find the server again.
        self.listen = self.url[len("http://"):]
        out = self.proc.stdout
        threading.Thread(target=lambda: [None for _ in out], daemon=True).start()

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self):
        self.stop()
        # The old socket may linger for a moment; wait until the port is free.
        host, port = self.listen.rsplit(":", 1)
        for _ in range(50):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host, int(port)))
                    break
                except OSError:
                    time.sleep(0.1)
        self.start()

    def admin(self, *args):
        return subprocess.run(
            [str(SERVER_BIN), "--data-dir", self.dir.name, "admin", *args],
            capture_output=True,
            text=True,
            check=True,
        )

    def close(self):
        self.stop()
        self.dir.cleanup()


def now():
    return rapport.LocalTime(unix_ms=int(time.time() * 1000), offset_min=SHANGHAI_MIN)


def visit(account_id, purpose):
    t = now()
    return rapport.Visit(
        account_id=account_id,
        occurred_at=t,
        logged_at=t,
        duration_min=40,
        purpose=purpose,
        notes="",
        contacts_met=[],
        check_in=rapport.CheckIn(lat=31.23, lon=121.47, accuracy_m=20.0),
        spin=[rapport.Spin.SITUATION, rapport.Spin.PROBLEM],
        objections=[],
        signals=[rapport.Signal.NEXT_STEP],
        next_step="send the quote",
        next_step_due=None,
    )


class BindingTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.dirs = []

    def tearDown(self):
        self.server.close()
        for d in self.dirs:
            d.cleanup()

    def client(self, user=None):
        d = tempfile.TemporaryDirectory(prefix="rapport-py-device-")
        self.dirs.append(d)
        client = rapport.RapportClient.open(d.name)
        if user is not None:
            client.login(self.server.url, COMPANY, user, PASSWORD)
        return client

    def rep_visits(self, report, username):
        return next(r.visits for r in report.reps if r.username == username)

    def test_a_day_offline_then_synced(self):
        rep = self.client("li")
        first = rep.sync(None)
        self.assertEqual(first.outcome, rapport.SyncOutcome.COMPLETED)
        accounts = rep.list_accounts()
        self.assertGreater(len(accounts), 0)
        account = accounts[0]
        manager = self.client("wang")
        before = self.rep_visits(manager.weekly_report(None, None), "li")

        # The server goes away; the rep keeps logging.
        self.server.stop()
        rep.create_visit(visit(account.id, "quarterly review"))
        rep.create_visit(visit(account.id, "tasting of the new range"))
        rep.create_favour(
            rapport.Favour(
                account_id=account.id,
                contact_id=None,
                kind=rapport.FavourKind.PERSONAL,
                description="found a school for the buyer's son",
                value=None,
                occurred_at=now(),
            )
        )
        self.assertEqual(rep.pending_changes(), 3)
        self.assertEqual(rep.status().pending_changes, 3)
        with self.assertRaises(RapportError.Offline):
            rep.sync(None)
        self.assertEqual(rep.pending_changes(), 3)

        # Back on the same address: the waiting changes go up.
        self.server.restart()
        progress = Progress()
        result = rep.sync(progress)
        self.assertEqual(result.outcome, rapport.SyncOutcome.COMPLETED)
        self.assertEqual(result.accepted, 3)
        self.assertEqual(result.waiting, 0)
        self.assertEqual(rep.pending_changes(), 0)
        self.assertGreater(len(progress.calls), 0)
        self.assertEqual(progress.calls[-1], (result.round_trips, result.accepted + result.received))

        after = self.rep_visits(manager.weekly_report(None, None), "li")
        self.assertEqual(after, before + 2)

        visits = rep.list_visits(account.id)
        self.assertIn("quarterly review", [v.record.purpose for v in visits])
        timeline = rep.timeline(account.id)
        self.assertIn(rapport.RecordKind.FAVOUR, [e.kind for e in timeline])

    def test_records_round_trip_through_the_binding(self):
        rep = self.client("li")
        rep.sync(None)
        account = rep.list_accounts()[0]
        contact_id = rep.create_contact(
            rapport.Contact(
                account_id=account.id,
                name="Zhou Min",
                title="Purchasing director",
                phone=None,
                notes=None,
                admin_level=rapport.AdminLevel.DEPARTMENT_HEAD,
                relationship_level=None,
                roles=[rapport.BuyingRole.DECISION_MAKER],
                key_contact=True,
                vip_card=rapport.VipCard(
                    knows_rep_name=True,
                    interests="go",
                    birthday=rapport.Birthday(
                        calendar=rapport.BirthdayCalendar.LUNAR, month=8, day=15, leap_month=False
                    ),
                    concerns="",
                    helped_with_concern=False,
                    notes="",
                ),
            )
        )
        contact = rep.get_contact(contact_id)
        self.assertEqual(contact.vip_card.birthday.month, 8)
        contact.title = "Vice president"
        self.assertEqual(rep.update_contact(contact_id, contact).title, "Vice president")
        self.assertEqual(rep.get_contact(contact_id).title, "Vice president")
        self.assertIn(contact_id, [c.id for c in rep.list_contacts(account.id)])
        due = rep.due(time.strftime("%Y-%m-%d"), 400)
        self.assertTrue(any(isinstance(d.what, rapport.DueKind.BIRTHDAY) for d in due))
        # Every kind of the due list reaches the app: cadence visits and holidays too.
        self.assertTrue(any(isinstance(d.what, rapport.DueKind.VISIT) for d in due))
        self.assertTrue(any(isinstance(d.what, rapport.DueKind.HOLIDAY) for d in due))
        rep.remove_contact(contact_id)
        self.assertNotIn(contact_id, [c.id for c in rep.list_contacts(account.id)])
        self.assertEqual(rep.sync(None).accepted, 1)

    def test_server_down_is_offline(self):
        rep = self.client("li")
        self.server.stop()
        with self.assertRaises(RapportError.Offline):
            rep.sync(None)
        with self.assertRaises(RapportError.Offline):
            self.client().login(self.server.url, COMPANY, "li", PASSWORD)

    def test_revoked_or_missing_sign_in_is_signed_out(self):
        with self.assertRaises(RapportError.SignedOut):
            self.client().sync(None)
        rep = self.client("zhao")
        rep.sync(None)
        self.server.admin("deactivate", "--company", COMPANY, "--user", "zhao")
        with self.assertRaises(RapportError.SignedOut):
            rep.sync(None)
        with self.assertRaises(RapportError.SignedOut):
            rep.sync(None)

    def test_rejected_record_carries_its_id_and_reason(self):
        rep = self.client("chen")
        rep.sync(None)
        item = rep.list_accounts()[0]
        renamed = item.record
        renamed.name = renamed.name + " (renamed by a rep)"
        rep.update_account(item.id, renamed)
        with self.assertRaises(RapportError.Rejected) as caught:
            rep.sync(None)
        self.assertEqual(caught.exception.record_id, item.id)
        # The server's admin_only refusal: its code to act on, its words for the rep.
        self.assertEqual(caught.exception.code, "admin_only")
        self.assertIn("only an admin", caught.exception.reason)
        rejections = rep.status().rejections
        self.assertEqual([r.record_id for r in rejections], [item.id])
        self.assertEqual(rejections[0].code, "admin_only")
        self.assertEqual(rejections[0].kind, rapport.RecordKind.ACCOUNT)
        self.assertIn("only an admin", rejections[0].reason)
        # A manager's report is a request a rep may not make: refused, not an error of input.
        with self.assertRaises(RapportError.Rejected) as refused:
            rep.weekly_report(None, None)
        self.assertIsNone(refused.exception.record_id)
        self.assertEqual(refused.exception.code, "forbidden")

    def test_invalid_input_names_the_field(self):
        rep = self.client("li")
        rep.sync(None)
        account = rep.list_accounts()[0]
        bad = visit(account.id, "")
        with self.assertRaises(RapportError.InvalidInput) as caught:
            rep.create_visit(bad)
        self.assertEqual(caught.exception.field, "purpose")
        bad = visit(account.id, "too long")
        bad.duration_min = -5
        with self.assertRaises(RapportError.InvalidInput) as caught:
            rep.create_visit(bad)
        self.assertEqual(caught.exception.field, "duration_min")
        with self.assertRaises(RapportError.InvalidInput) as caught:
            rep.due("27/11/2026", 7)
        self.assertEqual(caught.exception.field, "today")
        with self.assertRaises(RapportError.InvalidInput) as caught:
            rep.get_visit("no-such-visit")
        self.assertEqual(caught.exception.field, "id")
        self.assertEqual(rep.pending_changes(), 0)

    def test_async_variants_and_the_change_observer(self):
        rep = self.client()
        asyncio.run(rep.login_async(self.server.url, COMPANY, "li", PASSWORD))
        self.assertEqual(rep.status().signed_in_as, "li@demo")
        observer = Observer()
        rep.set_change_observer(observer)
        first = asyncio.run(rep.sync_async(None))
        self.assertEqual(first.outcome, rapport.SyncOutcome.COMPLETED)
        received = [c for c in observer.changes if c.origin == rapport.ChangeOrigin.SYNC]
        self.assertEqual(len(received), 1)
        self.assertIn(rapport.RecordKind.ACCOUNT, received[0].kinds)
        self.assertEqual(len(received[0].records), first.received)

        account = rep.list_accounts()[0]
        observer.changes.clear()
        visit_id = rep.create_visit(visit(account.id, "async review"))
        self.assertEqual(
            observer.changes,
            [
                rapport.Change(
                    origin=rapport.ChangeOrigin.LOCAL,
                    records=[rapport.ChangedRecord(kind=rapport.RecordKind.VISIT, id=visit_id)],
                    kinds=[rapport.RecordKind.VISIT],
                )
            ],
        )
        # A sync that only sends tells nothing: nothing changed on the device.
        observer.changes.clear()
        self.assertEqual(asyncio.run(rep.sync_async(None)).accepted, 1)
        self.assertEqual(observer.changes, [])

        # The rep's second device receives the edit, and its observer hears of it.
        tablet = self.client("li")
        tablet.sync(None)
        # The observer reads the changed record back, and syncs again, from inside the
        # callback: no lock is held, and the sync that called it is over.
        heard = Observer(
            lambda change: (
                tablet.get_visit(change.records[0].id).purpose,
                tablet.sync(None).outcome,
            )
        )
        tablet.set_change_observer(heard)
        rep.update_visit(visit_id, visit(account.id, "async review, with notes"))
        rep.sync(None)
        tablet.sync(None)
        self.assertEqual(len(heard.changes), 1)
        self.assertEqual(heard.changes[0].origin, rapport.ChangeOrigin.SYNC)
        self.assertEqual(
            heard.changes[0].records,
            [rapport.ChangedRecord(kind=rapport.RecordKind.VISIT, id=visit_id)],
        )
        self.assertEqual(
            heard.seen, [("async review, with notes", rapport.SyncOutcome.COMPLETED)]
        )
        tablet.set_change_observer(None)
        rep.create_visit(visit(account.id, "unheard"))
        rep.sync(None)
        tablet.sync(None)
        self.assertEqual(len(heard.changes), 1)

        # An observer that throws fails neither the write nor the sync it is told of: the
        # record is saved, and creating it again would duplicate it.
        def fail(change):
            raise RuntimeError("the app's observer failed")

        rep.set_change_observer(Observer(fail))
        tablet.set_change_observer(Observer(fail))
        thrown_id = rep.create_visit(visit(account.id, "saved despite the observer"))
        self.assertEqual(rep.get_visit(thrown_id).purpose, "saved despite the observer")
        self.assertEqual(rep.sync(None).accepted, 1)
        self.assertEqual(tablet.sync(None).outcome, rapport.SyncOutcome.COMPLETED)
        self.assertEqual(tablet.get_visit(thrown_id).purpose, "saved despite the observer")
        rep.set_change_observer(None)
        tablet.set_change_observer(None)

        # A progress callback that syncs is refused rather than waiting for itself.
        refused = []

        class Reentrant(rapport.SyncProgress):
            def on_progress(self, round_trips, documents):
                try:
                    rep.sync(None)
                except RapportError.InvalidInput as e:
                    refused.append(e.field)

        rep.create_visit(visit(account.id, "synced with a re-entrant callback"))
        self.assertEqual(rep.sync(Reentrant()).outcome, rapport.SyncOutcome.COMPLETED)
        self.assertEqual(set(refused), {"progress"})

        manager = self.client("wang")
        report = asyncio.run(manager.weekly_report_async(None, None))
        self.assertGreaterEqual(self.rep_visits(report, "li"), 2)
        # An async call fails as its blocking twin does.
        with self.assertRaises(RapportError.Rejected) as refused:
            asyncio.run(rep.weekly_report_async(None, None))
        self.assertEqual(refused.exception.code, "forbidden")

    def test_rules_and_scorecard(self):
        rep = self.client("li")
        self.assertEqual(rep.rules().cadence_a_days, 7)  # the defaults before a sync
        rep.sync(None)
        manager = self.client("wang")
        report = manager.weekly_report(None, None)
        self.assertEqual(rep.rules().weekly_visit_target, report.target)
        account = rep.list_accounts()[0]
        visit_id = rep.create_visit(visit(account.id, "scorecard review"))
        rep.sync(None)
        card = asyncio.run(rep.scorecard_async(None, None))
        self.assertEqual(card.rep_username, "li")
        visits = next(m for m in card.metrics if m.key == "visits")
        self.assertIn(visit_id, [r.id for r in visits.records])
        self.assertEqual(manager.scorecard(card.period, "li").period, card.period)
        with self.assertRaises(RapportError.Rejected) as refused:
            rep.scorecard(None, "zhao")
        self.assertEqual(refused.exception.code, "forbidden")

    def test_sync_from_two_threads_shares_one_result(self):
        rep = self.client("li")
        rep.sync(None)
        account = rep.list_accounts()[0]
        rep.create_visit(visit(account.id, "joint call"))
        started = threading.Event()
        results = [None, None]

        class Slow(rapport.SyncProgress):
            def on_progress(self, round_trips, documents):
                started.set()
                time.sleep(0.4)

        def first():
            results[0] = rep.sync(Slow())

        def second():
            started.wait(30)
            results[1] = rep.sync(None)

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        generation = rep.sync_generation()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results[0], results[1])
        self.assertEqual(rep.sync_generation(), generation + 1)
        self.assertEqual(results[0].accepted, 1)


class Observer(rapport.ChangeObserver):
    def __init__(self, then=None):
        self.changes = []
        self.then = then
        self.seen = []

    def on_change(self, change):
        self.changes.append(change)
        if self.then is not None:
            self.seen.append(self.then(change))


class Progress(rapport.SyncProgress):
    def __init__(self):
        self.calls = []

    def on_progress(self, round_trips, documents):
        self.calls.append((round_trips, documents))


def main():
    if not SERVER_BIN.exists():
        print(f"{SERVER_BIN} is missing: run cargo build -p rapport-server", file=sys.stderr)
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(BindingTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"python: {passed} passed, {failed} failed")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
