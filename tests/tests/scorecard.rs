//! The scorecard against an oracle: a generated company (two reps, three months of every
//! record kind, a fixed seed) goes through real devices and sync; every figure the API
//! reports, and the records behind it, must equal what this test computes on its own from
//! the records it generated. Also: week and month boundaries in the company's time zone,
//! late-logged and removed records, and who may read which scorecard.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{
    self, Account, Birthday, BuyingRole, Calendar, Channel, CheckIn, Contact, EventKind, Favour,
    FavourKind, Greeting, InfoKind, InfoReport, Intel, LocalTime, Objection, Occasion, Opportunity,
    OpportunityStatus, RelationshipEvent, RoleContacts, Rules, Signal, Spin, Stage, StageStep,
    VipCard, Visit, calendar,
};
use rapport_client_core::protocol::Scorecard;
use rapport_tests::{Company, Device, TestServer, call, login};
use serde_json::json;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const DAY_MS: i64 = 86_400_000;

fn local(day: NaiveDate, h: u32, m: u32) -> LocalTime {
    let t = TZ
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("time"))
        .single()
        .expect("unambiguous");
    LocalTime::from_datetime(&t)
}

fn day_ms(day: NaiveDate) -> i64 {
    TZ.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("midnight exists")
        .timestamp_millis()
}

/// Everything generated, as it stands after every edit and removal.
#[derive(Default)]
struct World {
    /// account id -> (location, the reps serving it)
    accounts: HashMap<String, (Option<model::GeoPoint>, Vec<&'static str>)>,
    contacts: Vec<(String, Contact)>,
    opportunities: Vec<(String, Opportunity)>,
    visits: Vec<(String, &'static str, Visit)>,
    favours: Vec<(String, &'static str, Favour)>,
    intel: Vec<(String, &'static str, Intel)>,
    info: Vec<(String, &'static str, InfoReport)>,
    greetings: Vec<(String, &'static str, Greeting)>,
    events: Vec<(String, &'static str, RelationshipEvent)>,
}

struct Window {
    first: NaiveDate,
    end: NaiveDate,
    weekly: bool,
}

impl Window {
    fn start_ms(&self) -> i64 {
        day_ms(self.first)
    }
    fn end_ms(&self) -> i64 {
        day_ms(self.end)
    }
    fn month(&self) -> (i64, i64) {
        let last = self.end - chrono::Duration::days(1);
        let first = NaiveDate::from_ymd_opt(last.year(), last.month(), 1).expect("first");
        let next = if last.month() == 12 {
            NaiveDate::from_ymd_opt(last.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(last.year(), last.month() + 1, 1)
        }
        .expect("next");
        (day_ms(first), day_ms(next))
    }
    fn label(&self) -> String {
        if self.weekly {
            let w = self.first.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        } else {
            self.first.format("%Y-%m").to_string()
        }
    }
}

/// What the oracle expects of one metric: value, and the ids of the records behind it.
#[derive(Debug, PartialEq)]
struct Expect {
    value: f64,
    part: Option<u64>,
    total: Option<u64>,
    ids: BTreeSet<String>,
}

fn count(ids: impl IntoIterator<Item = String>) -> Expect {
    let ids: BTreeSet<String> = ids.into_iter().collect();
    Expect {
        value: ids.len() as f64,
        part: None,
        total: None,
        ids,
    }
}

/// A count where one record may appear more than once (a visit with two signals).
fn count_all(ids: Vec<String>) -> (f64, BTreeSet<String>) {
    (ids.len() as f64, ids.into_iter().collect())
}

fn share(ids: impl IntoIterator<Item = String>, total: usize) -> Expect {
    let ids: BTreeSet<String> = ids.into_iter().collect();
    let part = ids.len();
    Expect {
        value: if total == 0 {
            0.0
        } else {
            part as f64 / total as f64
        },
        part: Some(part as u64),
        total: Some(total as u64),
        ids,
    }
}

/// The figures of one scorecard, by metric key.
type Figures = Vec<(&'static str, Expect)>;

/// One rep's scorecard for one window, computed from the generated world alone.
struct Oracle<'a> {
    world: &'a World,
    rules: &'a Rules,
    rep: &'a str,
    w: &'a Window,
    start: i64,
    end: i64,
    month: (i64, i64),
    /// The accounts the rep serves.
    mine: Vec<&'a String>,
}

impl<'a> Oracle<'a> {
    /// The oracle of `rep`'s scorecard in `w`, under `rules`.
    fn new(world: &'a World, rules: &'a Rules, rep: &'a str, w: &'a Window) -> Oracle<'a> {
        let mine = world
            .accounts
            .iter()
            .filter(|(_, (_, reps))| reps.contains(&rep))
            .map(|(id, _)| id)
            .collect();
        Oracle {
            world,
            rules,
            rep,
            w,
            start: w.start_ms(),
            end: w.end_ms(),
            month: w.month(),
            mine,
        }
    }

    /// Whether the moment `t` (UTC ms) falls in the window.
    fn in_w(&self, t: i64) -> bool {
        t >= self.start && t < self.end
    }

    /// Whether the moment `t` (UTC ms) falls in the month the window ends in.
    fn in_m(&self, t: i64) -> bool {
        t >= self.month.0 && t < self.month.1
    }

    /// Whether the rep serves the account `a`.
    fn is_mine(&self, a: &str) -> bool {
        self.mine.iter().any(|m| m.as_str() == a)
    }

    /// The share of the rep's accounts on which `any` holds.
    fn accounts_share(&self, any: impl Fn(&str) -> bool) -> Expect {
        share(
            self.mine
                .iter()
                .filter(|a| any(a.as_str()))
                .map(|a| (*a).clone()),
            self.mine.len(),
        )
    }

    /// The key contacts, not removed, on the rep's accounts.
    fn key_contacts(&self) -> Vec<&'a (String, Contact)> {
        self.world
            .contacts
            .iter()
            .filter(|(_, c)| c.key_contact && !c.deleted && self.is_mine(&c.account_id))
            .collect()
    }

    /// VIP card coverage of the key contacts, and the depth of the cards.
    fn card_figures(&self, out: &mut Figures) {
        let key = self.key_contacts();
        let cards: Vec<&(String, Contact)> = key
            .iter()
            .copied()
            .filter(|(_, c)| c.vip_card.is_some())
            .collect();
        out.push((
            "card_coverage",
            share(cards.iter().map(|(id, _)| id.clone()), key.len()),
        ));
        let card_share = |f: &dyn Fn(&VipCard) -> bool| {
            share(
                cards
                    .iter()
                    .filter(|(_, c)| c.vip_card.as_ref().is_some_and(f))
                    .map(|(id, _)| id.clone()),
                cards.len(),
            )
        };
        out.push(("card_knows_name", card_share(&|k| k.knows_rep_name)));
        out.push((
            "card_interests",
            card_share(&|k| !k.interests.trim().is_empty()),
        ));
        out.push(("card_birthday", card_share(&|k| k.birthday.is_some())));
        out.push((
            "card_concern",
            card_share(&|k| !k.concerns.trim().is_empty() || k.helped_with_concern),
        ));
        out.push(("card_full_depth", card_share(&|k| k.depth() == 4)));
    }

    /// The rep's visits, not removed, in the window.
    fn window_visits(&self) -> Vec<&'a (String, &'static str, Visit)> {
        self.world
            .visits
            .iter()
            .filter(|(_, r, v)| *r == self.rep && !v.deleted && self.in_w(v.occurred_at.utc_ms))
            .collect()
    }

    /// Visits in the window: how many, verified, late, on how many accounts; and the
    /// share of accounts whose cadence was kept.
    fn visit_figures(&self, out: &mut Figures) {
        let (world, rules, rep, end) = (self.world, self.rules, self.rep, self.end);
        let visits = self.window_visits();
        let location = |a: &str| world.accounts.get(a).and_then(|(l, _)| *l);
        out.push(("visits", count(visits.iter().map(|(id, _, _)| id.clone()))));
        out.push((
            "verified_share",
            share(
                visits
                    .iter()
                    .filter(|(_, _, v)| rules.verifies(v.check_in, location(&v.account_id)))
                    .map(|(id, _, _)| id.clone()),
                visits.len(),
            ),
        ));
        out.push((
            "late_logged",
            count(
                visits
                    .iter()
                    .filter(|(_, _, v)| rules.is_late(v))
                    .map(|(id, _, _)| id.clone()),
            ),
        ));
        out.push((
            "distinct_accounts",
            count(visits.iter().map(|(_, _, v)| v.account_id.clone())),
        ));
        // Cadence: no figures and no override in this world, so every account is tier D.
        let kept = |a: &str| {
            world.visits.iter().any(|(_, r, v)| {
                *r == rep
                    && !v.deleted
                    && v.account_id == a
                    && v.occurred_at.utc_ms < end
                    && v.occurred_at.utc_ms >= end - rules.cadence_d_days * DAY_MS
            })
        };
        out.push(("cadence_kept", self.accounts_share(kept)));
    }

    /// The rep's favours, not removed, that happened at a time `when` accepts.
    fn favours_when(&self, when: impl Fn(i64) -> bool) -> Vec<&'a (String, &'static str, Favour)> {
        self.world
            .favours
            .iter()
            .filter(|(_, r, x)| *r == self.rep && !x.deleted && when(x.occurred_at.utc_ms))
            .collect()
    }

    /// Favours in the window and on accounts this month, and the relationship events of
    /// each kind.
    fn favour_and_event_figures(&self, out: &mut Figures) {
        out.push((
            "favours",
            count(
                self.favours_when(|t| self.in_w(t))
                    .iter()
                    .map(|(id, _, _)| id.clone()),
            ),
        ));
        let month_favours = self.favours_when(|t| self.in_m(t));
        out.push((
            "favour_accounts_month",
            self.accounts_share(|a| month_favours.iter().any(|(_, _, f)| f.account_id == a)),
        ));
        for (key, kind) in [
            ("first_thought_events", EventKind::FirstThought),
            ("best_display_events", EventKind::BestDisplay),
            ("private_help_events", EventKind::PrivateHelp),
        ] {
            out.push((
                key,
                count(
                    self.world
                        .events
                        .iter()
                        .filter(|(_, r, e)| {
                            *r == self.rep
                                && !e.deleted
                                && e.kind == kind
                                && self.in_w(e.occurred_at.utc_ms)
                        })
                        .map(|(id, _, _)| id.clone()),
                ),
            ));
        }
    }

    /// Information reports in the window and on accounts this month, competitor intel
    /// and greetings in the window.
    fn report_figures(&self, out: &mut Figures) {
        let infos = |f: &dyn Fn(i64) -> bool| {
            self.world
                .info
                .iter()
                .filter(move |(_, r, x)| *r == self.rep && !x.deleted && f(x.occurred_at.utc_ms))
                .collect::<Vec<_>>()
        };
        out.push((
            "info_reports",
            count(infos(&|t| self.in_w(t)).iter().map(|(id, _, _)| id.clone())),
        ));
        let month_infos = infos(&|t| self.in_m(t));
        out.push((
            "info_accounts_month",
            self.accounts_share(|a| month_infos.iter().any(|(_, _, i)| i.account_id == a)),
        ));
        out.push((
            "competitor_intel",
            count(
                self.world
                    .intel
                    .iter()
                    .filter(|(_, r, i)| {
                        *r == self.rep && !i.deleted && self.in_w(i.occurred_at.utc_ms)
                    })
                    .map(|(id, _, _)| id.clone()),
            ),
        ));
        out.push((
            "greetings",
            count(
                self.world
                    .greetings
                    .iter()
                    .filter(|(_, r, g)| {
                        *r == self.rep && !g.deleted && self.in_w(g.occurred_at.utc_ms)
                    })
                    .map(|(id, _, _)| id.clone()),
            ),
        ));
    }

    /// Birthdays in the window, greeted in it or up to three days before; and the
    /// holidays in the window that were greeted.
    fn occasion_figures(&self, out: &mut Figures) {
        let (world, rep, w) = (self.world, self.rep, self.w);
        let (start, end) = (self.start, self.end);
        let days = (w.end - w.first).num_days();
        let key = self.key_contacts();
        let birthday_contacts: Vec<&&(String, Contact)> = key
            .iter()
            .filter(|(_, c)| {
                c.vip_card
                    .as_ref()
                    .and_then(|k| k.birthday)
                    .is_some_and(|b| calendar::next_birthday(b, w.first, days - 1).is_some())
            })
            .collect();
        let greeted = birthday_contacts.iter().filter_map(|(cid, _)| {
            world
                .greetings
                .iter()
                .find(|(_, r, g)| {
                    *r == rep
                        && !g.deleted
                        && g.occasion == Occasion::Birthday
                        && g.contact_id.as_deref() == Some(cid.as_str())
                        && g.occurred_at.utc_ms >= start - 3 * DAY_MS
                        && g.occurred_at.utc_ms < end
                })
                .map(|(id, _, _)| id.clone())
        });
        out.push((
            "birthday_greetings",
            share(greeted, birthday_contacts.len()),
        ));
        let holidays = calendar::holidays_between(w.first, days - 1);
        let holidays_greeted = holidays.iter().filter_map(|(o, _)| {
            world
                .greetings
                .iter()
                .find(|(_, r, g)| {
                    *r == rep && !g.deleted && g.occasion == *o && self.in_w(g.occurred_at.utc_ms)
                })
                .map(|(id, _, _)| id.clone())
        });
        out.push(("holidays_greeted", share(holidays_greeted, holidays.len())));
    }

    /// Influencer coverage: every role known, and a holder met by anyone in the 30 days
    /// before the window's end.
    fn influencer_coverage(&self, out: &mut Figures) {
        let end = self.end;
        let open: Vec<&(String, Opportunity)> = self
            .world
            .opportunities
            .iter()
            .filter(|(_, o)| {
                !o.deleted && o.status == OpportunityStatus::Open && self.is_mine(&o.account_id)
            })
            .collect();
        let met_recently = |contact: &str| {
            self.world.visits.iter().any(|(_, _, v)| {
                !v.deleted
                    && v.occurred_at.utc_ms >= end - 30 * DAY_MS
                    && v.occurred_at.utc_ms < end
                    && self.is_mine(&v.account_id)
                    && v.contacts_met.iter().any(|c| c == contact)
            })
        };
        let covered = open.iter().filter(|(_, o)| {
            BuyingRole::ALL.iter().all(|role| {
                let holders = o.roles.get(*role);
                !holders.is_empty() && holders.iter().any(|h| met_recently(h))
            })
        });
        out.push((
            "influencer_coverage",
            share(covered.map(|(id, _)| id.clone()), open.len()),
        ));
    }

    /// Buying signals per visit and of each kind, and objections of each kind, in the
    /// window's visits.
    fn signal_figures(&self, out: &mut Figures) {
        let visits = self.window_visits();
        let signals: Vec<String> = visits
            .iter()
            .flat_map(|(id, _, v)| v.signals.iter().map(move |_| id.clone()))
            .collect();
        let (n_signals, signal_ids) = count_all(signals);
        out.push((
            "signals_per_visit",
            Expect {
                value: if visits.is_empty() {
                    0.0
                } else {
                    n_signals / visits.len() as f64
                },
                part: Some(n_signals as u64),
                total: Some(visits.len() as u64),
                ids: signal_ids,
            },
        ));
        let visits_with = |has: &dyn Fn(&Visit) -> bool| {
            count(
                visits
                    .iter()
                    .filter(|(_, _, v)| has(v))
                    .map(|(id, _, _)| id.clone()),
            )
        };
        for (key, signal) in [
            ("signal_accepted_idea", Signal::AcceptedIdea),
            ("signal_next_step", Signal::NextStep),
            ("signal_introduced_senior", Signal::IntroducedSenior),
            ("signal_technical_exchange", Signal::TechnicalExchange),
        ] {
            out.push((key, visits_with(&|v| v.signals.contains(&signal))));
        }
        for (key, objection) in [
            ("objection_no_need", Objection::NoNeed),
            ("objection_no_trust", Objection::NoTrust),
            ("objection_no_budget", Objection::NoBudget),
            ("objection_no_hurry", Objection::NoHurry),
        ] {
            out.push((key, visits_with(&|v| v.objections.contains(&objection))));
        }
    }
}

/// Every figure of `rep`'s scorecard in `w`, with the records behind it, as the generated
/// records make it under `rules`.
fn oracle(world: &World, rules: &Rules, rep: &str, w: &Window) -> Figures {
    let o = Oracle::new(world, rules, rep, w);
    let mut out = Vec::new();
    o.card_figures(&mut out);
    o.visit_figures(&mut out);
    o.favour_and_event_figures(&mut out);
    o.report_figures(&mut out);
    o.occasion_figures(&mut out);
    o.influencer_coverage(&mut out);
    o.signal_figures(&mut out);
    out.push((
        "favours_over_limit",
        count(
            o.favours_when(|t| o.in_w(t))
                .iter()
                .filter(|(_, _, f)| rules.over_limit(f))
                .map(|(id, _, _)| id.clone()),
        ),
    ));
    out
}

fn scorecard(server: &TestServer, token: &str, rep: &str, period: &str) -> Scorecard {
    let a = call(
        "GET",
        &format!(
            "{}/v1/reports/scorecard?rep={rep}&period={period}",
            server.url
        ),
        Some(token),
        None,
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    serde_json::from_slice(&a.body).expect("scorecard")
}

#[track_caller]
fn check(card: &Scorecard, expected: &[(&'static str, Expect)], context: &str) {
    for (key, want) in expected {
        let got = card
            .metric(key)
            .unwrap_or_else(|| panic!("{context}: no metric {key}"));
        let ids: BTreeSet<String> = got.records.iter().map(|r| r.id.clone()).collect();
        let have = Expect {
            value: got.value,
            part: got.part,
            total: got.total,
            ids,
        };
        assert!(
            (have.value - want.value).abs() < 1e-9
                && have.part == want.part
                && have.total == want.total
                && have.ids == want.ids,
            "{context} {key}: the API says {have:?}, the records say {want:?}"
        );
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

fn some_of<T: Copy>(rng: &mut ChaCha8Rng, items: &[T], p: f64) -> Vec<T> {
    items.iter().copied().filter(|_| rng.gen_bool(p)).collect()
}

/// The company's accounts as the world knows them: its three, and two more with a
/// location so check-ins can verify.
fn world_of_accounts(server: &TestServer, co: &Company) -> World {
    let add_account = |name: &str, lat: f64, lon: f64| {
        let a = call(
            "POST",
            &format!("{}/v1/admin/accounts", server.url),
            Some(&co.admin_token),
            Some(&json!({"name": name, "lat": lat, "lon": lon})),
        );
        assert_eq!(a.status, 201);
        a.json()["id"].as_str().expect("id").to_owned()
    };
    let located_a = add_account("Wuxi Electronics", 31.49, 120.31);
    let located_b = add_account("Nantong Logistics", 31.98, 120.89);
    co.assign(server, &located_a, "a");
    co.assign(server, &located_b, "b");
    let mut world = World::default();
    for (id, loc, reps) in [
        (&co.account_a, None, vec!["a"]),
        (&co.account_b, None, vec!["b"]),
        (&co.account_shared, None, vec!["a", "b"]),
        (&located_a, Some((31.49, 120.31)), vec!["a"]),
        (&located_b, Some((31.98, 120.89)), vec!["b"]),
    ] {
        world.accounts.insert(
            id.clone(),
            (loc.map(|(lat, lon)| model::GeoPoint { lat, lon }), reps),
        );
    }
    world
}

/// A VIP card of random depth, with a solar or lunar birthday in the autumn on most.
fn random_card(rng: &mut ChaCha8Rng) -> VipCard {
    VipCard {
        knows_rep_name: rng.gen_bool(0.7),
        interests: if rng.gen_bool(0.6) {
            "golf".into()
        } else {
            String::new()
        },
        birthday: rng.gen_bool(0.8).then(|| Birthday {
            calendar: if rng.gen_bool(0.5) {
                Calendar::Lunar
            } else {
                Calendar::Solar
            },
            month: rng.gen_range(9..=11),
            day: rng.gen_range(1..=28),
            leap_month: false,
        }),
        concerns: if rng.gen_bool(0.5) {
            "son's exams".into()
        } else {
            String::new()
        },
        helped_with_concern: rng.gen_bool(0.3),
        notes: String::new(),
    }
}

/// The records generated for the scorecard, as they are logged through real devices.
struct Generator<'a> {
    world: World,
    rng: ChaCha8Rng,
    devices: [(&'static str, &'a Device); 2],
    /// account id -> its contacts' ids
    contacts_of: HashMap<String, Vec<String>>,
}

impl Generator<'_> {
    /// Contacts: key ones with VIP cards of every depth, solar and lunar birthdays; and an
    /// opportunity on each account, all four roles filled on some, one missing on others.
    /// Each account's contacts are logged by the first rep serving it.
    fn contacts_and_opportunities(&mut self) {
        for (rep, device) in self.devices {
            let accounts: Vec<String> = self
                .world
                .accounts
                .iter()
                .filter(|(_, (_, reps))| reps.first() == Some(&rep))
                .map(|(id, _)| id.clone())
                .collect();
            for account in accounts {
                for k in 0..4 {
                    let key = k < 3;
                    let card = (key && k < 2).then(|| random_card(&mut self.rng));
                    let contact = Contact {
                        account_id: account.clone(),
                        name: format!("contact {k} of {rep}"),
                        key_contact: key,
                        vip_card: card,
                        roles: vec![BuyingRole::ALL[k]],
                        ..Contact::default()
                    };
                    let id = device.create(&contact).expect("contact");
                    self.contacts_of
                        .entry(account.clone())
                        .or_default()
                        .push(id.clone());
                    self.world.contacts.push((id, contact));
                }
                let cs = &self.contacts_of[&account];
                let full = self.rng.gen_bool(0.6);
                let opportunity = Opportunity {
                    account_id: account.clone(),
                    name: format!("deal at {account}"),
                    status: OpportunityStatus::Open,
                    roles: RoleContacts {
                        user: vec![cs[0].clone()],
                        technical_gatekeeper: vec![cs[1].clone()],
                        coach: vec![cs[2].clone()],
                        decision_maker: if full { vec![cs[3].clone()] } else { vec![] },
                    },
                    ..Opportunity::default()
                };
                let id = device.create(&opportunity).expect("opportunity");
                self.world.opportunities.push((id, opportunity));
            }
        }
    }

    /// Three months of work, day by day, for each rep in turn.
    fn work_days(&mut self, first: NaiveDate, last: NaiveDate) {
        let mut day = first;
        while day <= last {
            for (rep, device) in self.devices {
                let mut accounts: Vec<String> = self
                    .world
                    .accounts
                    .iter()
                    .filter(|(_, (_, reps))| reps.contains(&rep))
                    .map(|(id, _)| id.clone())
                    .collect();
                accounts.sort();
                self.work_day(rep, device, day, &accounts);
            }
            day += chrono::Duration::days(1);
        }
    }

    /// One rep's day on `accounts`: maybe a visit, a favour, intel, an information report
    /// and a relationship event.
    fn work_day(
        &mut self,
        rep: &'static str,
        device: &Device,
        day: NaiveDate,
        accounts: &[String],
    ) {
        let rng = &mut self.rng;
        if rng.gen_bool(0.55) {
            let account = accounts[rng.gen_range(0..accounts.len())].clone();
            let visit = self.random_visit(account, day);
            let id = device.create(&visit).expect("visit");
            self.world.visits.push((id, rep, visit));
        }
        let rng = &mut self.rng;
        if rng.gen_bool(0.12) {
            let account = accounts[rng.gen_range(0..accounts.len())].clone();
            let favour = Favour {
                account_id: account,
                kind: pick(rng, FavourKind::ALL),
                description: "arranged a factory tour".into(),
                value: rng
                    .gen_bool(0.5)
                    .then(|| f64::from(rng.gen_range(100..1200_u32))),
                occurred_at: local(day, 19, 0),
                ..Favour::default()
            };
            let id = device.create(&favour).expect("favour");
            self.world.favours.push((id, rep, favour));
        }
        if rng.gen_bool(0.08) {
            let intel = Intel {
                account_id: accounts[0].clone(),
                competitor: "Siemens".into(),
                observation: "price cut 5%".into(),
                confidence: pick(rng, &[model::Confidence::Low, model::Confidence::High]),
                occurred_at: local(day, 17, 0),
                ..Intel::default()
            };
            let id = device.create(&intel).expect("intel");
            self.world.intel.push((id, rep, intel));
        }
        if rng.gen_bool(0.08) {
            let info = InfoReport {
                account_id: accounts[rng.gen_range(0..accounts.len())].clone(),
                kind: pick(rng, InfoKind::ALL),
                figure: Some(120.0),
                details: "monthly figures".into(),
                occurred_at: local(day, 16, 0),
                ..InfoReport::default()
            };
            let id = device.create(&info).expect("info");
            self.world.info.push((id, rep, info));
        }
        if rng.gen_bool(0.06) {
            let event = RelationshipEvent {
                account_id: accounts[0].clone(),
                kind: pick(rng, EventKind::ALL),
                description: "invited us first".into(),
                occurred_at: local(day, 11, 0),
                ..RelationshipEvent::default()
            };
            let id = device.create(&event).expect("event");
            self.world.events.push((id, rep, event));
        }
    }

    /// A visit to `account` on `day`: some logged late, most checked in at the account's
    /// location when it has one, with random contacts met, SPIN steps, objections and
    /// signals.
    fn random_visit(&mut self, account: String, day: NaiveDate) -> Visit {
        let rng = &mut self.rng;
        let cs = self.contacts_of.get(&account).cloned().unwrap_or_default();
        let at = local(day, rng.gen_range(8..23), pick(rng, &[0, 30, 45]));
        let (lat, lon) = match self.world.accounts[&account].0 {
            Some(p) if rng.gen_bool(0.7) => (p.lat + 0.001, p.lon),
            _ => (30.0, 120.0),
        };
        let late = rng.gen_bool(0.15);
        Visit {
            account_id: account,
            occurred_at: at,
            logged_at: LocalTime {
                utc_ms: at.utc_ms + if late { 30 * 3_600_000 } else { 3_600_000 },
                offset_min: at.offset_min,
            },
            duration_min: 60,
            purpose: "review".into(),
            contacts_met: cs.iter().filter(|_| rng.gen_bool(0.5)).cloned().collect(),
            check_in: Some(CheckIn {
                lat,
                lon,
                accuracy_m: pick(rng, &[10.0, 30.0, 900.0]),
            }),
            spin: some_of(rng, Spin::ALL, 0.5),
            objections: some_of(rng, Objection::ALL, 0.2),
            signals: some_of(rng, Signal::ALL, 0.25),
            ..Visit::default()
        }
    }

    /// Greetings: most birthdays and holidays, some a day early, one rep forgetting some.
    fn greetings(&mut self, first: NaiveDate, last: NaiveDate) {
        let days = (last - first).num_days();
        for (rep, device) in self.devices {
            let birthdays: Vec<(String, String, Birthday)> = self
                .world
                .contacts
                .iter()
                .filter(|(_, c)| self.world.accounts[&c.account_id].1.contains(&rep))
                .filter_map(|(id, c)| {
                    Some((
                        id.clone(),
                        c.account_id.clone(),
                        c.vip_card.as_ref()?.birthday?,
                    ))
                })
                .collect();
            for (contact, account, birthday) in birthdays {
                let Some(date) = calendar::next_birthday(birthday, first, days) else {
                    continue;
                };
                if self.rng.gen_bool(0.75) {
                    let early = i64::from(self.rng.gen_bool(0.3));
                    let greeting = Greeting {
                        account_id: account,
                        contact_id: Some(contact),
                        occasion: Occasion::Birthday,
                        channel: Channel::WeChat,
                        occurred_at: local(date - chrono::Duration::days(early), 9, 0),
                        ..Greeting::default()
                    };
                    let id = device.create(&greeting).expect("greeting");
                    self.world.greetings.push((id, rep, greeting));
                }
            }
            for (occasion, date) in calendar::holidays_between(first, days) {
                if rep == "b" && occasion == Occasion::NationalDay {
                    continue;
                }
                let greeting = Greeting {
                    account_id: self
                        .world
                        .accounts
                        .iter()
                        .find(|(_, (_, reps))| reps.contains(&rep))
                        .map(|(id, _)| id.clone())
                        .expect("an account"),
                    occasion,
                    channel: Channel::Phone,
                    occurred_at: local(date, 10, 0),
                    ..Greeting::default()
                };
                let id = device.create(&greeting).expect("greeting");
                self.world.greetings.push((id, rep, greeting));
            }
        }
    }

    /// Removed records must not count: every ninth visit and every fifth favour go.
    fn removals(&mut self) {
        let device_of = |rep: &str| {
            self.devices
                .iter()
                .find(|(r, _)| *r == rep)
                .map(|(_, d)| *d)
                .expect("a rep's device")
        };
        for i in (0..self.world.visits.len()).step_by(9) {
            let (id, rep, visit) = &mut self.world.visits[i];
            device_of(rep).remove::<Visit>(id).expect("remove");
            visit.deleted = true;
        }
        for i in (0..self.world.favours.len()).step_by(5) {
            let (id, rep, favour) = &mut self.world.favours[i];
            device_of(rep).remove::<Favour>(id).expect("remove");
            favour.deleted = true;
        }
    }
}

/// Every ISO week that starts from week 36 of 2026 to `last`, then September, October
/// and November.
fn windows_until(last: NaiveDate) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut monday = NaiveDate::from_isoywd_opt(2026, 36, chrono::Weekday::Mon).expect("week");
    while monday <= last {
        windows.push(Window {
            first: monday,
            end: monday + chrono::Duration::days(7),
            weekly: true,
        });
        monday += chrono::Duration::days(7);
    }
    for (m, next) in [(9, 10), (10, 11), (11, 12)] {
        windows.push(Window {
            first: NaiveDate::from_ymd_opt(2026, m, 1).expect("month"),
            end: NaiveDate::from_ymd_opt(2026, next, 1).expect("month"),
            weekly: false,
        });
    }
    windows
}

/// `rep`'s scorecard in `w` against the oracle (under the default rules, the company's),
/// and its visit target and attainment. Returns how many figures were checked.
fn check_rep_scorecard(
    server: &TestServer,
    manager: &str,
    world: &World,
    rep: &str,
    w: &Window,
) -> usize {
    let rules = Rules::default();
    let card = scorecard(server, manager, rep, &w.label());
    let expected = oracle(world, &rules, rep, w);
    check(&card, &expected, &format!("{rep} {}", w.label()));
    // Targets: a month's visit target is the weekly one pro rata.
    let visits = card.metric("visits").expect("visits");
    let target = if w.weekly {
        10.0
    } else {
        (10.0 * (w.end - w.first).num_days() as f64 / 7.0).round()
    };
    assert_eq!(visits.target, Some(target));
    let attainment = visits.attainment.expect("attainment");
    assert!((attainment - visits.value / target).abs() < 1e-9);
    // A share of nothing is not applicable: no attainment, never 0 %.
    for m in card.metrics.iter().filter(|m| m.total == Some(0)) {
        assert_eq!(m.attainment, None, "{rep} {} {}", w.label(), m.key);
    }
    expected.len()
}

/// The team's figures are its reps' summed: counts add up, shares pool their parts, and
/// the visit target is twice a rep's.
fn check_team_scorecard(server: &TestServer, manager: &str, w: &Window) {
    let a = call(
        "GET",
        &format!("{}/v1/reports/team?period={}", server.url, w.label()),
        Some(manager),
        None,
    );
    assert_eq!(a.status, 200);
    let body = a.json();
    let team: Scorecard = serde_json::from_value(body["team"].clone()).expect("team");
    let reps: Vec<Scorecard> = serde_json::from_value(body["reps"].clone()).expect("reps");
    assert_eq!(reps.len(), 2);
    for key in [
        "visits",
        "favours",
        "favours_over_limit",
        "competitor_intel",
        "greetings",
    ] {
        let sum: f64 = reps
            .iter()
            .map(|r| r.metric(key).expect("metric").value)
            .sum();
        let got = team.metric(key).expect("metric");
        assert_eq!(got.value, sum, "{} {key}", w.label());
        assert_eq!(got.records.len() as f64, sum, "{} {key}", w.label());
    }
    for key in ["cadence_kept", "card_coverage", "influencer_coverage"] {
        let part: u64 = reps
            .iter()
            .filter_map(|r| r.metric(key).and_then(|m| m.part))
            .sum();
        let total: u64 = reps
            .iter()
            .filter_map(|r| r.metric(key).and_then(|m| m.total))
            .sum();
        let got = team.metric(key).expect("metric");
        assert_eq!(
            (got.part, got.total),
            (Some(part), Some(total)),
            "{} {key}",
            w.label()
        );
    }
    let visits_target = team
        .metric("visits")
        .and_then(|m| m.target)
        .expect("target");
    let rep_target = reps[0]
        .metric("visits")
        .and_then(|m| m.target)
        .expect("target");
    assert_eq!(visits_target, 2.0 * rep_target);
}

#[test]
fn every_scorecard_figure_equals_the_records_behind_it() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rules = Rules::default();
    let world = world_of_accounts(&server, &co);
    let a = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    a.sync().expect("sync");
    b.sync().expect("sync");
    let mut generator = Generator {
        world,
        rng: ChaCha8Rng::seed_from_u64(48),
        devices: [("a", &a), ("b", &b)],
        contacts_of: HashMap::new(),
    };
    generator.contacts_and_opportunities();
    a.sync().expect("sync");
    b.sync().expect("sync");
    let first = NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
    let last = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    generator.work_days(first, last);
    generator.greetings(first, last);
    generator.removals();
    a.sync().expect("sync");
    b.sync().expect("sync");
    let world = generator.world;

    let manager = login(&server.url, "acme", "manager").access_token;
    let windows = windows_until(last);
    let mut figures = 0;
    for rep in ["a", "b"] {
        for w in &windows {
            figures += check_rep_scorecard(&server, &manager, &world, rep, w);
        }
    }
    assert!(figures > 1000, "{figures} figures checked");
    for w in &windows {
        check_team_scorecard(&server, &manager, w);
    }
    // The world was not trivial: the figures that matter were exercised.
    assert!(world.visits.iter().any(|(_, _, v)| v.deleted));
    assert!(
        world
            .favours
            .iter()
            .any(|(_, _, f)| rules.over_limit(f) && !f.deleted)
    );
}

#[test]
fn weeks_and_months_end_at_local_midnight_and_stage_moves_count_for_who_moved_them() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a = Device::new(&server.url, "acme", "a");
    a.sync().expect("sync");
    let visit = |day: NaiveDate, h: u32, m: u32| Visit {
        account_id: co.account_a.clone(),
        occurred_at: local(day, h, m),
        logged_at: local(day, h, m),
        duration_min: 30,
        purpose: "boundary".into(),
        ..Visit::default()
    };
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
    // Sunday 23:30 of W44 (1 November 2026), Monday 00:15 of W45; 31 October 23:59 and
    // 1 November 00:00 on both sides of a month.
    let sunday = a.create(&visit(d(2026, 11, 1), 23, 30)).expect("visit");
    let monday = a.create(&visit(d(2026, 11, 2), 0, 15)).expect("visit");
    let october = a.create(&visit(d(2026, 10, 31), 23, 59)).expect("visit");
    let november = a.create(&visit(d(2026, 11, 1), 0, 0)).expect("visit");
    // A visit logged two days late still counts where it happened, and is flagged.
    let mut late = visit(d(2026, 11, 2), 10, 0);
    late.logged_at.utc_ms += 2 * DAY_MS;
    let late = a.create(&late).expect("visit");
    // A removed one does not count at all.
    let gone = a.create(&visit(d(2026, 11, 3), 10, 0)).expect("visit");
    a.remove::<Visit>(&gone).expect("remove");
    // Move the account's stage up twice and down once.
    for stage in [Stage::Initial, Stage::Intermediate, Stage::Initial] {
        a.update::<Account>(&co.account_a, |acc| {
            acc.stage = Some(stage);
            acc.stage_history.push(StageStep {
                id: model::new_id(),
                stage,
                at: LocalTime::from_datetime(&chrono::Utc::now()),
            });
        })
        .expect("stage");
        a.sync().expect("sync");
    }
    a.sync().expect("sync");

    let token = login(&server.url, "acme", "a").access_token;
    let ids = |card: &Scorecard, key: &str| -> BTreeSet<String> {
        card.metric(key)
            .expect("metric")
            .records
            .iter()
            .map(|r| r.id.clone())
            .collect()
    };
    let w44 = scorecard(&server, &token, "a", "2026-W44");
    assert_eq!(
        ids(&w44, "visits"),
        BTreeSet::from([sunday.clone(), october.clone(), november.clone()])
    );
    let w45 = scorecard(&server, &token, "a", "2026-W45");
    assert_eq!(
        ids(&w45, "visits"),
        BTreeSet::from([monday.clone(), late.clone()])
    );
    assert_eq!(ids(&w45, "late_logged"), BTreeSet::from([late.clone()]));
    let oct = scorecard(&server, &token, "a", "2026-10");
    assert_eq!(ids(&oct, "visits"), BTreeSet::from([october]));
    let nov = scorecard(&server, &token, "a", "2026-11");
    assert_eq!(
        ids(&nov, "visits"),
        BTreeSet::from([sunday, monday, november, late])
    );

    // Stage moves are stamped when they reach the server: this week.
    let now = chrono::Utc::now().with_timezone(&TZ).date_naive();
    let week = format!("{}-W{:02}", now.iso_week().year(), now.iso_week().week());
    let this_week = scorecard(&server, &token, "a", &week);
    assert_eq!(this_week.metric("stage_up").expect("up").value, 2.0);
    assert_eq!(this_week.metric("stage_down").expect("down").value, 1.0);
    // Rep b moved nothing.
    let manager = login(&server.url, "acme", "manager").access_token;
    let b_week = scorecard(&server, &manager, "b", &week);
    assert_eq!(b_week.metric("stage_up").expect("up").value, 0.0);

    // Bad periods are refused with a reason.
    for bad in ["2026-W60", "2026-13", "last-week", "2026-W4x"] {
        let a = call(
            "GET",
            &format!("{}/v1/reports/scorecard?period={bad}", server.url),
            Some(&token),
            None,
        );
        assert_eq!(a.status, 422, "{bad}");
        assert_eq!(a.error_code(), "invalid_input");
    }
}

#[test]
fn every_report_endpoint_is_authorised_for_reps_managers_and_companies() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    // A second team in acme with its own manager.
    let t = call(
        "POST",
        &format!("{}/v1/admin/teams", server.url),
        Some(&co.admin_token),
        Some(&json!({"name": "West"})),
    );
    let west = t.json()["id"].as_str().expect("id").to_owned();
    let m2 = call(
        "POST",
        &format!("{}/v1/admin/users", server.url),
        Some(&co.admin_token),
        Some(
            &json!({"username": "west_manager", "password": rapport_tests::PASSWORD, "role": "manager", "team_id": west}),
        ),
    );
    assert_eq!(m2.status, 201);
    let rep_a = login(&server.url, "acme", "a").access_token;
    let manager = login(&server.url, "acme", "manager").access_token;
    let west_manager = login(&server.url, "acme", "west_manager").access_token;
    let other_manager = login(&server.url, "other", "manager").access_token;
    let other_admin = other.admin_token.clone();
    let a_id = co.user_id("a").to_owned();
    let b_id = co.user_id("b").to_owned();
    let team = co.team_id.clone();

    let team_endpoints = [
        "visits/weekly",
        "visits/trend",
        "team",
        "overdue",
        "danger-zone",
        "favours-over-limit",
        "upcoming",
    ];
    let get = |token: &str, path: &str| {
        call(
            "GET",
            &format!("{}/v1/reports/{path}", server.url),
            Some(token),
            None,
        )
    };
    let mut checked = 0;
    for path in team_endpoints {
        let sep = if path.contains('?') { '&' } else { '?' };
        // Own manager: allowed, also as CSV.
        assert_eq!(get(&manager, path).status, 200, "{path}");
        assert_eq!(
            get(&manager, &format!("{path}{sep}format=csv")).status,
            200,
            "{path} csv"
        );
        // A rep: forbidden.
        let r = get(&rep_a, path);
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "forbidden"),
            "{path}"
        );
        // The manager of another team naming this team: forbidden.
        let r = get(&west_manager, &format!("{path}{sep}team={team}"));
        assert_eq!(r.status, 403, "{path}");
        // Another company's manager naming this team: forbidden (like any team not
        // theirs); its admin: no such team (like a team that does not exist).
        assert_eq!(
            get(&other_manager, &format!("{path}{sep}team={team}")).status,
            403,
            "{path}"
        );
        assert_eq!(
            get(&other_admin, &format!("{path}{sep}team={team}")).status,
            404,
            "{path}"
        );
        assert_eq!(
            get(
                &other_admin,
                &format!("{path}{sep}team={}", uuid::Uuid::new_v4())
            )
            .status,
            404,
            "{path}"
        );
        // Nobody signed in.
        let r = call(
            "GET",
            &format!("{}/v1/reports/{path}", server.url),
            None,
            None,
        );
        assert_eq!(r.status, 401, "{path}");
        checked += 6;
    }
    // Scorecards: a rep sees their own only; a manager their team's reps only.
    assert_eq!(get(&rep_a, "scorecard").status, 200);
    assert_eq!(get(&rep_a, &format!("scorecard?rep={a_id}")).status, 200);
    for (token, rep, status) in [
        (&rep_a, b_id.as_str(), 403),
        (&manager, b_id.as_str(), 200),
        (&manager, "b", 200),
        (&west_manager, a_id.as_str(), 403),
        // Another company's people are answered as if absent.
        (&other_manager, a_id.as_str(), 404),
        (&other_admin, a_id.as_str(), 404),
        (&manager, "nobody-at-all", 404),
        (&co.admin_token, "nobody-at-all", 404),
        (&rep_a, "nobody-at-all", 403),
        (&co.admin_token, a_id.as_str(), 200),
    ] {
        let r = get(token, &format!("scorecard?rep={rep}"));
        assert_eq!(r.status, status, "scorecard of {rep}");
        checked += 1;
    }
    // The other company's manager sees their own reps, none of acme's.
    let weekly = get(&other_manager, "visits/weekly").json();
    let names: Vec<&str> = weekly["reps"]
        .as_array()
        .expect("reps")
        .iter()
        .filter_map(|r| r["user_id"].as_str())
        .collect();
    assert!(!names.contains(&a_id.as_str()) && !names.contains(&b_id.as_str()));
    assert_eq!(checked, 7 * 6 + 10);
}
