"""The demo's charters (村规民约) and votes: 22 adopted charters, the 中区 subsidy, one open vote.

`load_charters` (called by `load_guicheng` after the posts) adds what is
missing, by community:

- a charter per rural community, "<社区>村规民约", written from the template
  in `demo.charter_data` (5–7 chapters, 20–30 articles tagged by topic);
  version 1 adopted in 2019 (中区 first, in March; the others through the
  year) and filed with the township under a filing reference;
- for each adoption, the community's 村民会议 (a voting body with the default
  rules of `votes.defaults`) and a closed 2019 session: a roll of 60–150
  invented electors in households (only a keyed hash of each invented ID
  number is stored, never the number), the attendance (a few by proxy), one
  paper ballot per present elector on the charter's motion (mostly 同意),
  chained by hashes, and the published result with the chain's head;
- 中区: version 2 of its charter (the 2026 revision, based on version 1, a
  few articles changed) out for comment with a handful of comments; and the
  中区经联社股东代表大会 with its closed 2019 session that passed, by the
  shareholders' representatives, the subsidy for garbage clearance;
- 叠南: the 村民代表会议 with an OPEN session held on the day of the first
  load, tellers `secretary` and `admin`, one resolution, a few ballots
  (paper, confirmed, and phone) and three paper entries that `secretary`
  typed in and that wait for a second teller's confirmation.

Rows are written with the ORM (bulk inserts where there are many) without
the services' per-row audit rows; the caller records one summary row, as the
other demo loaders do. Deterministic for a given day (fixed seeds; the
public tokens are random). The rolls are small on purpose: the demo shows
how a vote is run and verified, not a community's full register.
"""

from __future__ import annotations

import datetime
import importlib
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from zhenxing.charters.models import (
    Article,
    Chapter,
    Charter,
    CharterComment,
    CharterVersion,
    CommentSource,
    Topic,
    VersionStatus,
)
from zhenxing.core import audit
from zhenxing.demo import charter_data as spec
from zhenxing.demo import data
from zhenxing.people.models import User
from zhenxing.territory.models import Region
from zhenxing.votes import chain as vote_chain
from zhenxing.votes import results
from zhenxing.votes.defaults import DEFAULT_RULES
from zhenxing.votes.identity import birth_date, id_hash, with_check_digit
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    BodyKind,
    Channel,
    Elector,
    Motion,
    MotionKind,
    MotionOption,
    PaperEntry,
    Proxy,
    SessionResult,
    SessionStatus,
    VoteRule,
    VotingBody,
    VotingSession,
)
from zhenxing.votes.rules import rule_dict

COUNT_KEYS = (
    "charters",
    "charter_versions",
    "charter_comments",
    "voting_bodies",
    "voting_sessions",
    "electors",
    "ballots",
)
# 南海区: the administrative division code the invented ID numbers start with.
ID_AREA = "440605"
ROLL_SIZE = (60, 150)
HOUSEHOLD_SIZE = (1, 4)
# Share of the roll present, and how the present vote (for, against, abstain).
TURNOUT = (0.72, 0.92)
CHOICE_WEIGHTS = (90, 4, 6)


def _rng(what: str) -> random.Random:
    # String seeds hash with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(f"zhenxing-demo:1:charters:{what}")


def _token() -> str:
    return secrets.token_urlsafe(12)[:16]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _short(community: Region) -> str:
    return community.name.removesuffix(data.COMMUNITY_SUFFIX)


# --- charters ----------------------------------------------------------------------------


def _topics() -> dict[str, Topic]:
    topics = {t.code: t for t in Topic.objects.all()}
    if not topics:
        # A flushed database (transactional tests) has lost the migration's rows.
        from django.apps import apps

        seed = importlib.import_module("zhenxing.charters.migrations.0002_topics")
        seed.add_topics(apps, None)
        topics = {t.code: t for t in Topic.objects.all()}
    return topics


def charter_outline(community: Region) -> list[tuple[str, list[spec.ArticleSpec]]]:
    """The community's chapters (title, articles): the template with its variations."""
    rng = _rng(f"outline:{community.code}")
    chapters = {key: (title, list(articles)) for key, title, articles in spec.CHAPTERS}
    # A few local articles.
    for chapter_key, article in rng.sample(spec.EXTRAS, rng.randint(0, 3)):
        chapters[chapter_key][1].append(article)
    # Leave out some optional articles.
    optional = [a.key for _k, (_t, arts) in chapters.items() for a in arts if a.optional]
    dropped = set(rng.sample(optional, rng.randint(0, 4)))
    outline = [
        [key, title, [a for a in articles if a.key not in dropped]]
        for key, (title, articles) in chapters.items()
    ]
    # Some charters merge chapters: roads into the environment, customs into public order.
    merges = rng.choice([(), ("roads",), ("customs",), ("roads", "customs")])
    into = {
        "roads": ("sanitation", "环境卫生与道路交通"),
        "customs": ("order", "社会治安与移风易俗"),
    }
    for key in merges:
        target_key, title = into[key]
        source = next(c for c in outline if c[0] == key)
        target = next(c for c in outline if c[0] == target_key)
        target[1] = title
        target[2] = target[2] + source[2]
        outline.remove(source)
    return [(title, articles) for _key, title, articles in outline]


def _river(community: Region) -> str:
    from zhenxing.demo import post_data

    return _short(community) + _rng(f"river:{community.code}").choice(post_data.RIVER_SUFFIXES)


def _render(text: str, community: Region) -> str:
    return text.format(name=community.name, short=_short(community), river=_river(community))


def _write_text(
    version: CharterVersion,
    community: Region,
    outline: Sequence[tuple[str, Sequence[spec.ArticleSpec]]],
    topics: dict[str, Topic],
    overrides: dict[str, str] | None = None,
) -> dict[str, Article]:
    """The chapters and articles (numbered through the version); article key → Article."""
    overrides = overrides or {}
    chapters = Chapter.objects.bulk_create(
        [
            Chapter(version=version, number=n, title=title)
            for n, (title, _articles) in enumerate(outline, start=1)
        ]
    )
    if any(c.pk is None for c in chapters):
        chapters = list(Chapter.objects.filter(version=version).order_by("number"))
    rows: list[tuple[Article, spec.ArticleSpec]] = []
    number = 0
    for chapter, (_title, articles) in zip(chapters, outline, strict=True):
        for article in articles:
            number += 1
            text = overrides.get(article.key, article.text)
            rows.append(
                (
                    Article(chapter=chapter, number=number, text=_render(text, community)),
                    article,
                )
            )
    saved = Article.objects.bulk_create([a for a, _s in rows])
    if any(a.pk is None for a in saved):
        by_number = {
            a.number: a for a in Article.objects.filter(chapter__version=version).order_by("pk")
        }
        saved = [by_number[a.number] for a, _s in rows]
    links = [
        Article.topics.through(article_id=article.pk, topic_id=topics[code].pk)
        for article, (_a, article_spec) in zip(saved, rows, strict=True)
        for code in article_spec.topics
        if code in topics
    ]
    Article.topics.through.objects.bulk_create(links)
    return {s.key: a for a, (_x, s) in zip(saved, rows, strict=True)}


def adoption_dates(communities: Sequence[Region]) -> dict[str, datetime.date]:
    """Community code → the day its 村民会议 adopted the charter (中区 first, March 2019)."""
    rng = _rng("dates")
    others = [c for c in communities if _short(c) != spec.FIRST_COMMUNITY]
    span = (spec.OTHERS_UNTIL - spec.OTHERS_FROM).days
    dates: dict[str, datetime.date] = {}
    for i, community in enumerate(others):
        day = spec.OTHERS_FROM + datetime.timedelta(
            days=span * i // max(1, len(others) - 1) + rng.randint(-3, 3)
        )
        # Meetings are held at the weekend: the following Saturday.
        day += datetime.timedelta(days=(5 - day.weekday()) % 7)
        dates[community.code] = min(max(day, spec.OTHERS_FROM), spec.OTHERS_UNTIL)
    for community in communities:
        if _short(community) == spec.FIRST_COMMUNITY:
            dates[community.code] = spec.FIRST_ADOPTED_ON
    return dates


def _ensure_charter(
    community: Region,
    adopted_on: datetime.date,
    filing_number: int,
    topics: dict[str, Topic],
    created: Counter[str],
) -> tuple[Charter, CharterVersion]:
    title = f"{community.name}村规民约"
    charter, made = Charter.objects.get_or_create(
        region=community,
        title=title,
        defaults={"created_at": _at(adopted_on - datetime.timedelta(days=60), 10)},
    )
    created["charters"] += made
    version = CharterVersion.objects.filter(charter=charter, number=1).first()
    if version is None:
        rng = _rng(f"filing:{community.code}")
        version = CharterVersion.objects.create(
            charter=charter,
            number=1,
            status=VersionStatus.FILED,
            preamble=_render(spec.PREAMBLE, community),
            consultation_opened_at=_at(adopted_on - datetime.timedelta(days=30), 9),
            consultation_ends_on=adopted_on - datetime.timedelta(days=10),
            adopted_on=adopted_on,
            filed_on=adopted_on + datetime.timedelta(days=rng.randint(5, 15)),
            filing_reference=spec.FILING_REFERENCE.format(n=filing_number),
            public_token=_token(),
            revision=4,  # drafted, published, put to the vote, adopted, filed
            created_at=_at(adopted_on - datetime.timedelta(days=60), 10),
        )
        _write_text(version, community, charter_outline(community), topics)
        created["charter_versions"] += 1
    return charter, version


def _ensure_revision(
    charter: Charter,
    v1: CharterVersion,
    community: Region,
    topics: dict[str, Topic],
    now: datetime.datetime,
    created: Counter[str],
) -> CharterVersion:
    """中区's 2026 revision: version 2, based on version 1, out for comment."""
    v2 = CharterVersion.objects.filter(charter=charter, number=2).first()
    if v2 is not None:
        return v2
    today = timezone.localdate(now)
    opened = now - datetime.timedelta(days=9)
    v2 = CharterVersion.objects.create(
        charter=charter,
        number=2,
        status=VersionStatus.CONSULTATION,
        based_on=v1,
        preamble=_render(spec.REVISION_PREAMBLE, community),
        consultation_opened_at=opened,
        consultation_ends_on=today + datetime.timedelta(days=21),
        public_token=_token(),
        revision=1,
        created_at=now - datetime.timedelta(days=30),
    )
    outline = []
    for title, articles in charter_outline(community):
        kept = [a for a in articles if a.key not in spec.REVISION_REMOVED]
        for after, added in spec.REVISION_ADDED:
            at = next((i for i, a in enumerate(kept) if a.key == after), None)
            if at is not None:
                kept.insert(at + 1, added)
        outline.append((title, kept))
    articles = _write_text(v2, community, outline, topics, overrides=spec.REVISION_CHANGES)
    created["charter_versions"] += 1
    rng = _rng("comments")
    comments = []
    for i, (key, text, source, author, reply) in enumerate(spec.REVISION_COMMENTS):
        comments.append(
            CharterComment(
                version=v2,
                article=articles.get(key) if key else None,
                text=text,
                author_name=author,
                source=source if source in CommentSource.values else CommentSource.PUBLIC,
                reply=reply,
                created_at=opened + datetime.timedelta(days=i + 1, hours=rng.randint(1, 10)),
            )
        )
    CharterComment.objects.bulk_create(comments)
    created["charter_comments"] += len(comments)
    return v2


# --- votes -------------------------------------------------------------------------------


def _ensure_body(region: Region, kind: str, name: str, created: Counter[str]) -> VotingBody:
    body, made = VotingBody.objects.get_or_create(region=region, name=name, defaults={"kind": kind})
    if made:
        VoteRule.objects.bulk_create(
            VoteRule(
                body=body,
                purpose=purpose,
                basis=basis,
                base=base,
                threshold=threshold,
                legal_reference=reference,
                order=order,
            )
            for order, (purpose, basis, base, threshold, reference) in enumerate(
                DEFAULT_RULES[kind]
            )
        )
        created["voting_bodies"] += 1
    return body


def rules_snapshot(body: VotingBody) -> list[dict[str, Any]]:
    """The body's rules as `votes.sessions.session_open` copies them when a session opens."""
    return [rule_dict(r) for r in body.rules.order_by("purpose", "order", "pk")]


def _person_name(rng: random.Random, male: bool) -> str:
    surnames, weights = zip(*data.SURNAMES, strict=True)
    pool = data.GIVEN_MALE if male else data.GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choices(surnames, weights=weights)[0] + given


def _id_number(rng: random.Random, held_on: datetime.date, used: set[str]) -> str:
    """An invented, valid ID number of an adult on `held_on` (in memory only: never stored)."""
    # Born at the latest the day before `held_on`, 18 years earlier (29 February → the 28th).
    latest = datetime.date(
        held_on.year - 18, held_on.month, min(held_on.day, 28 if held_on.month == 2 else 31)
    ) - datetime.timedelta(days=1)
    earliest = datetime.date(1935, 1, 1)
    while True:
        born = earliest + datetime.timedelta(days=rng.randint(0, (latest - earliest).days))
        number = with_check_digit(f"{ID_AREA}{born:%Y%m%d}{rng.randint(1, 999):03d}")
        if number not in used:
            used.add(number)
            return number


def _write_roll(
    session: VotingSession,
    size: int,
    rng: random.Random,
    *,
    groups: Sequence[str],
    representatives: bool = False,
    shares: tuple[int, int] | None = None,
    households: bool = True,
) -> list[Elector]:
    used: set[str] = set()
    rows: list[Elector] = []
    household = 0
    left_in_household = 0
    group = groups[0] if groups else ""
    for i in range(size):
        if not households or left_in_household == 0:
            household += 1
            left_in_household = rng.randint(*HOUSEHOLD_SIZE)
            group = rng.choice(groups) if groups else ""
        left_in_household -= 1
        number = _id_number(rng, session.held_on, used)
        rows.append(
            Elector(
                session=session,
                name=_person_name(rng, male=int(number[16]) % 2 == 1),
                id_hash=id_hash(number),
                born_on=birth_date(number),
                household=f"{household:04d}",
                group_name=group,
                shares=Decimal(rng.randint(*shares)) / 2 if shares else Decimal("0"),
                is_representative=representatives,
                row_number=i + 2,  # the XLSX row: the header is row 1
            )
        )
    saved = Elector.objects.bulk_create(rows)
    if any(e.pk is None for e in saved):
        saved = list(Elector.objects.filter(session=session).order_by("row_number"))
    return saved


def _options(motion: Motion) -> list[MotionOption]:
    saved = MotionOption.objects.bulk_create(
        MotionOption(motion=motion, order=i, label=label, meaning=meaning)
        for i, (label, meaning) in enumerate(spec.OPTIONS)
    )
    if any(o.pk is None for o in saved):
        saved = list(MotionOption.objects.filter(motion=motion).order_by("order"))
    return saved


def ballot_hash(ballot: Ballot, session: VotingSession) -> str:
    """The ballot's chain hash, exactly as `votes.chain.append` computes it."""
    return vote_chain.ballot_hash(
        token=session.public_token,
        seq=ballot.seq,
        motion_number=ballot.motion.number,
        elector=vote_chain.pseudonym(session, ballot.elector),
        option_label=ballot.option.label,
        channel=ballot.channel,
        cast_by=vote_chain.pseudonym(session, ballot.cast_by) if ballot.cast_by else "",
        prev_hash=ballot.prev_hash,
    )


def _chain(session: VotingSession, ballots: Iterable[Ballot]) -> list[Ballot]:
    """Number and chain new ballots after the session's existing ones (in the given order)."""
    prev = vote_chain.chain_head(session)
    seq = Ballot.objects.filter(session=session).count()
    out: list[Ballot] = []
    for ballot in ballots:
        seq += 1
        ballot.session = session
        ballot.seq = seq
        ballot.prev_hash = prev
        ballot.hash = ballot_hash(ballot, session)
        prev = ballot.hash
        out.append(ballot)
    Ballot.objects.bulk_create(out)
    return out


def _vote(
    session: VotingSession,
    motion: Motion,
    electors: list[Elector],
    options: list[MotionOption],
    rng: random.Random,
    *,
    start: datetime.datetime,
    turnout: tuple[float, float] = TURNOUT,
    proxies: int = 0,
    weights: Sequence[int] = CHOICE_WEIGHTS,
    entered_by: User | None = None,
    confirmed_by: User | None = None,
    exactly_present: int | None = None,
) -> tuple[list[Attendance], list[Ballot]]:
    """Attendance (some by proxy) and one paper ballot per present elector, chained."""
    present_count = exactly_present or round(len(electors) * rng.uniform(*turnout))
    present = sorted(rng.sample(electors, present_count), key=lambda e: e.row_number)
    # Proxies: a principal counted present through an agent who came in person (from the
    # same household where possible); an agent holds at most the body's limit and is never
    # a principal too.
    by_proxy: dict[int, Elector] = {}
    held: Counter[int] = Counter()
    limit = session.body.max_proxies_per_agent
    candidates = list(present)
    rng.shuffle(candidates)
    for principal in candidates:
        if len(by_proxy) >= proxies:
            break
        if principal.pk in held:
            continue
        choices = [
            e
            for e in present
            if e.pk != principal.pk and e.pk not in by_proxy and held[e.pk] < limit
        ]
        same_household = [e for e in choices if e.household == principal.household]
        if not (same_household or choices):
            continue
        agent = (same_household or choices)[0]
        by_proxy[principal.pk] = agent
        held[agent.pk] += 1
    Proxy.objects.bulk_create(
        Proxy(
            session=session,
            principal_id=principal,
            agent=agent,
            document=f"委托书第{i:03d}号",
            recorded_at=start + datetime.timedelta(minutes=i),
        )
        for i, (principal, agent) in enumerate(sorted(by_proxy.items()), start=1)
    )
    attendance = [
        Attendance(
            session=session,
            elector=e,
            via=AttendanceVia.PROXY if e.pk in by_proxy else AttendanceVia.IN_PERSON,
            recorded_at=start + datetime.timedelta(seconds=20 * i),
        )
        for i, e in enumerate(present)
    ]
    Attendance.objects.bulk_create(attendance)
    counting = start + datetime.timedelta(hours=1, minutes=30)
    ballots = [
        Ballot(
            motion=motion,
            elector=e,
            option=rng.choices(options, weights=weights)[0],
            channel=Channel.PAPER,
            cast_by=by_proxy.get(e.pk),
            entered_by=entered_by,
            confirmed_by=confirmed_by,
            cast_at=counting + datetime.timedelta(seconds=15 * i),
        )
        for i, e in enumerate(present)
    ]
    return attendance, _chain(session, ballots)


# --- results ---------------------------------------------------------------------------


def _close(session: VotingSession, closed_at: datetime.datetime) -> None:
    session.status = SessionStatus.CLOSED
    session.closed_at = closed_at
    session.save(update_fields=["status", "closed_at"])
    SessionResult.objects.create(
        session=session,
        figures=results.compute(session),
        ballot_count=Ballot.objects.filter(session=session).count(),
        head_hash=vote_chain.chain_head(session),
        published_at=closed_at,
    )


def _new_session(
    body: VotingBody, title: str, held_on: datetime.date, place: str, opened_at: datetime.datetime
) -> VotingSession:
    return VotingSession.objects.create(
        body=body,
        title=title,
        held_on=held_on,
        place=place,
        status=SessionStatus.OPEN,
        roll_frozen_at=opened_at,
        rules_snapshot=rules_snapshot(body),
        opened_at=opened_at,
        public_token=_token(),
        created_at=opened_at - datetime.timedelta(days=14),
    )


def _groups(community: Region) -> list[str]:
    names = Region.objects.filter(parent=community).order_by("code").values_list("name", flat=True)
    short = _short(community)
    return [n.removeprefix(short) for n in names] or ["第一经济社"]


def _ensure_adoption(
    community: Region, version: CharterVersion, created: Counter[str]
) -> VotingSession | None:
    body = _ensure_body(community, BodyKind.VILLAGERS, f"{community.name}村民会议", created)
    title = spec.CHARTER_SESSION_TITLE.format(name=community.name)
    if VotingSession.objects.filter(body=body, title=title).exists():
        return None
    rng = _rng(f"adoption:{community.code}")
    held_on = version.adopted_on or spec.FIRST_ADOPTED_ON
    opened = _at(held_on, 9)
    session = _new_session(
        body, title, held_on, community.name + rng.choice(spec.SESSION_PLACES)[2:], opened
    )
    electors = _write_roll(session, rng.randint(*ROLL_SIZE), rng, groups=_groups(community))
    motion = Motion.objects.create(
        session=session,
        number=1,
        kind=MotionKind.CHARTER,
        title=spec.CHARTER_MOTION_TITLE.format(title=version.charter.title),
        charter_version=version,
    )
    options = _options(motion)
    _attendance, ballots = _vote(
        session, motion, electors, options, rng, start=opened, proxies=rng.randint(1, 4)
    )
    _close(session, ballots[-1].cast_at + datetime.timedelta(minutes=20))
    created["voting_sessions"] += 1
    created["electors"] += len(electors)
    created["ballots"] += len(ballots)
    return session


def _ensure_subsidy(community: Region, created: Counter[str]) -> VotingSession | None:
    body = _ensure_body(community, BodyKind.SHAREHOLDERS, spec.SUBSIDY_BODY, created)
    if VotingSession.objects.filter(body=body, title=spec.SUBSIDY_SESSION_TITLE).exists():
        return None
    rng = _rng("subsidy")
    opened = _at(spec.SUBSIDY_HELD_ON, 14, 30)
    session = _new_session(
        body, spec.SUBSIDY_SESSION_TITLE, spec.SUBSIDY_HELD_ON, spec.SUBSIDY_PLACE, opened
    )
    # Shareholders' representatives: one a household, each with the shares they represent.
    electors = _write_roll(
        session,
        spec.SUBSIDY_REPRESENTATIVES,
        rng,
        groups=_groups(community),
        representatives=True,
        shares=(40, 160),
        households=False,
    )
    motion = Motion.objects.create(
        session=session,
        number=1,
        kind=MotionKind.RESOLUTION,
        title=spec.SUBSIDY_MOTION_TITLE,
        text=spec.SUBSIDY_MOTION_TEXT,
    )
    options = _options(motion)
    _attendance, ballots = _vote(
        session,
        motion,
        electors,
        options,
        rng,
        start=opened,
        exactly_present=40,
        proxies=2,
        weights=(88, 5, 7),
    )
    _close(session, ballots[-1].cast_at + datetime.timedelta(minutes=15))
    created["voting_sessions"] += 1
    created["electors"] += len(electors)
    created["ballots"] += len(ballots)
    return session


def _ensure_open_session(
    community: Region, now: datetime.datetime, created: Counter[str]
) -> VotingSession | None:
    """叠南's 村民代表会议, open now, for the demo accounts to try paper and phone voting."""
    body = _ensure_body(community, BodyKind.REPRESENTATIVES, spec.OPEN_BODY, created)
    still_open = VotingSession.objects.filter(body=body, status=SessionStatus.OPEN).first()
    if still_open is not None:
        # One-time codes last until the end of the session's day: the demo's open
        # meeting moves to the day the demo is started, so phone voting can be tried.
        today = timezone.localdate(now)
        if still_open.held_on < today:
            VotingSession.objects.filter(pk=still_open.pk).update(held_on=today)
            audit.record(
                actor=None,
                action="demo.open_session.today",
                obj=still_open,
                changes={"held_on": [still_open.held_on, today]},
            )
        return None
    users = {u.username: u for u in User.objects.filter(username__in=["secretary", "admin"])}
    secretary, admin = users.get("secretary"), users.get("admin")
    rng = _rng("open")
    today = timezone.localdate(now)
    opened = now - datetime.timedelta(minutes=40)
    session = _new_session(
        body,
        spec.OPEN_SESSION_TITLE.format(year=today.year),
        today,
        spec.OPEN_PLACE,
        opened,
    )
    session.tellers.set([u for u in (secretary, admin) if u is not None])
    electors = _write_roll(
        session,
        spec.OPEN_REPRESENTATIVES,
        rng,
        groups=_groups(community),
        representatives=True,
        households=False,
    )
    motion = Motion.objects.create(
        session=session,
        number=1,
        kind=MotionKind.RESOLUTION,
        title=spec.OPEN_MOTION_TITLE.format(year=today.year + 1),
        text=spec.OPEN_MOTION_TEXT,
    )
    options = _options(motion)
    # 24 representatives signed in (one by proxy); ballots so far: 8 on paper, entered by
    # `secretary` and confirmed by `admin`, and 2 on a phone; 3 paper entries await
    # confirmation. The rest have not voted yet.
    present = electors[:24]
    principal, agent = present[23], present[0]
    Proxy.objects.create(
        session=session,
        principal=principal,
        agent=agent,
        document="委托书第001号",
        recorded_by=secretary,
        recorded_at=opened + datetime.timedelta(minutes=5),
    )
    Attendance.objects.bulk_create(
        Attendance(
            session=session,
            elector=e,
            via=AttendanceVia.PROXY if e.pk == principal.pk else AttendanceVia.IN_PERSON,
            recorded_by=secretary,
            recorded_at=opened + datetime.timedelta(minutes=i),
        )
        for i, e in enumerate(present)
    )
    choice = [options[0]] * 8 + [options[1], options[2]]
    rng.shuffle(choice)
    ballots = []
    for i, (elector, option) in enumerate(zip(present[1:11], choice, strict=True)):
        phone = i in (3, 7)
        ballots.append(
            Ballot(
                motion=motion,
                elector=elector,
                option=option,
                channel=Channel.PHONE if phone else Channel.PAPER,
                entered_by=None if phone else secretary,
                confirmed_by=None if phone else admin,
                cast_at=opened + datetime.timedelta(minutes=15 + 2 * i),
            )
        )
    _chain(session, ballots)
    pending = [
        PaperEntry(
            motion=motion,
            elector=elector,
            option=option,
            cast_by=agent if elector.pk == principal.pk else None,
            entered_by=secretary,
            entered_at=opened + datetime.timedelta(minutes=36 + i),
        )
        for i, (elector, option) in enumerate(
            [(present[11], options[0]), (present[12], options[0]), (principal, options[1])]
        )
    ]
    if secretary is not None:
        PaperEntry.objects.bulk_create(pending)
    created["voting_sessions"] += 1
    created["electors"] += len(electors)
    created["ballots"] += len(ballots)
    return session


# --- the loader --------------------------------------------------------------------------


def load_charters(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Add what is missing of the charters and votes demo; counts of the rows added."""
    now = now or timezone.now()
    created: Counter[str] = Counter({key: 0 for key in COUNT_KEYS})
    root = Region.objects.filter(code=data.ROOT_CODE, depth=1).first()
    if root is None:
        return dict(created)
    communities = list(Region.objects.filter(path__startswith=root.path, depth=2).order_by("path"))
    topics = _topics()
    dates = adoption_dates(communities)
    order = sorted(communities, key=lambda c: (dates[c.code], c.code))
    for filing_number, community in enumerate(order, start=1):
        charter, v1 = _ensure_charter(
            community, dates[community.code], filing_number, topics, created
        )
        _ensure_adoption(community, v1, created)
        if _short(community) == spec.FIRST_COMMUNITY:
            _ensure_revision(charter, v1, community, topics, now, created)
            _ensure_subsidy(community, created)
        if _short(community) == spec.OPEN_COMMUNITY:
            _ensure_open_session(community, now, created)
    return {key: created[key] for key in COUNT_KEYS}


def charter_counts(root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """The charters' lines of the demo's figures."""
    prefix = root_code + "/"
    return {
        "村规民约": Charter.objects.filter(
            region__path__startswith=prefix,
            versions__status__in=[VersionStatus.ADOPTED, VersionStatus.FILED],
        )
        .distinct()
        .count(),
        "表决会议": VotingSession.objects.filter(body__region__path__startswith=prefix).count(),
        "选票": Ballot.objects.filter(session__body__region__path__startswith=prefix).count(),
    }
