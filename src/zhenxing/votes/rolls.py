"""A session's roll (选民名册): imported from XLSX, frozen when voting opens; and who is present.

The roll file is a contract with the officials who fill it in Excel or WPS:
fixed Chinese headers (姓名, 身份证号, 户号, 村民小组, 股份, 村民代表, 手机号),
matched the way the member import matches them (`people.imports`: English
names, spaces, notes in brackets, a title row above the header). Every row is
checked first, with the spreadsheet's own row numbers; if any row has an error
nothing is written.

An identity number is read only to check it (shape, check digit, a real birth
date), to find the elector's age on the session's date and to find the same
person twice; what is stored is its keyed hash (`votes.identity.id_hash`) and
the birth date, never the number. The uploaded file is read from memory and
not kept, and no message or audit row repeats a number.

The roll may change (import, edit, delete) only until the session opens:
`VotingSession.roll_frozen_at`, set by the session's opening, freezes it, so
that the quorum and the majorities are counted against the roll the meeting
was called with.

Attendance (到会) and proxies (委托投票) are recorded while the session is
open. A proxy also makes its principal present (via proxy); ballot services
record attendance the same way (`attendance_record`) when a ballot comes from
an elector not yet signed in.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from zhenxing.core import audit
from zhenxing.core.privacy import mask_mobile
from zhenxing.core.sheets import Column, SheetRow, SheetRows, blank_cell
from zhenxing.core.xlsx import cell_text
from zhenxing.people.imports import (
    MAX_ERRORS,
    ImportFileError,
    parse_mobile_cell,
    read_first_sheet,
)
from zhenxing.people.models import mobile_validator
from zhenxing.votes.errors import VoteError
from zhenxing.votes.identity import (
    IdNumberError,
    age_on,
    birth_date,
    check_id,
    id_hash,
    with_check_digit,
)
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    BodyKind,
    Elector,
    PaperEntry,
    Proxy,
    SessionStatus,
    VotingSession,
)

__all__ = [
    "COLUMNS",
    "ImportFileError",
    "ImportResult",
    "RollCounts",
    "RowError",
    "VoteError",
    "attendance_record",
    "attendance_remove",
    "elector_delete",
    "elector_update",
    "present_counts",
    "proxy_record",
    "roll_counts",
    "roll_import",
    "template_workbook",
]

ADULT_AGE = 18
# Elector.shares: 12 digits, 4 of them after the point.
MAX_SHARES = Decimal("99999999.9999")
SHARES_PLACES = 4
NAME_MAX = 50
HOUSEHOLD_MAX = 40
GROUP_MAX = 40


# --- the file's columns --------------------------------------------------------

COLUMNS: list[Column] = [
    Column("name", "姓名", "name", required=True, aliases=("选民姓名", "股东姓名")),
    Column(
        "id_number",
        "身份证号",
        "id_number",
        required=True,
        aliases=("身份证号码", "公民身份号码", "身份证", "居民身份证号码"),
    ),
    Column("household", "户号", "household", required=True, aliases=("户编号", "户籍编号")),
    Column("group_name", "村民小组", "group", aliases=("小组", "所属村民小组", "经济社")),
    Column("shares", "股份", "shares", aliases=("股数", "持股数", "股份数")),
    Column(
        "is_representative",
        "村民代表",
        "representative",
        aliases=("是否村民代表", "代表", "股东代表", "是否代表"),
    ),
    Column("mobile", "手机号", "mobile", aliases=("手机号码", "手机", "联系手机")),
]
_BY_KEY = {c.key: c for c in COLUMNS}
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0"}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number, as Excel shows it
    column: str  # the column's header, as in the template
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    removed: int = 0  # electors removed first, with replace=True
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS were found

    @property
    def ok(self) -> bool:
        return not self.errors


_Row = SheetRow
_Sheet = SheetRows


class _Errors:
    def __init__(self, result: ImportResult) -> None:
        self.result = result

    def add(self, row: int, key: str, message: str) -> None:
        if len(self.result.errors) >= MAX_ERRORS:
            self.result.truncated = True
            return
        self.result.errors.append(RowError(row, _BY_KEY[key].header, message))


# --- reading ---------------------------------------------------------------------


# --- cells: each parser returns the clean value or raises ValueError(message) ----------


def _text(limit: int) -> Any:
    def parse(value: Any) -> str:
        # A household or group typed as a number reads 12.0 from a text cell.
        text = re.sub(r"^(\d+)\.0+$", r"\1", cell_text(value))
        if len(text) > limit:
            raise ValueError(_("This cell may hold at most %(max)s characters.") % {"max": limit})
        return text

    return parse


def _parse_id(value: Any) -> str:
    # Excel keeps 15 significant digits: an 18-digit number typed into a number
    # cell has already lost its last digits, so say how to fix the file.
    if isinstance(value, float):
        raise ValueError(
            _(
                "The ID number was stored as a number, which Excel rounds; "
                "format the column as text and type the number again."
            )
        )
    try:
        return check_id(cell_text(value))
    except IdNumberError as exc:
        # Never repeat the number itself in a message.
        reason = str(exc)
        if reason == "check digit":
            raise ValueError(_("The ID number's check digit is wrong.")) from None
        if reason == "birth date":
            raise ValueError(_("The ID number does not hold a real birth date.")) from None
        raise ValueError(_("An ID number has 18 characters: 17 digits and a digit or X.")) from None


def parse_shares(value: Any) -> Decimal:
    """Shares: a number, 0 or more, at most four decimal places."""
    text = cell_text(value).replace(",", "")
    try:
        shares = Decimal(str(value) if isinstance(value, float) else text)
    except (InvalidOperation, ValueError):
        shares = None
    if shares is None or not shares.is_finite():
        raise ValueError(
            _("“%(value)s” is not a number of shares, such as 1 or 2.5.") % {"value": text[:20]}
        )
    if shares < 0:
        raise ValueError(_("Shares cannot be negative."))
    if shares > MAX_SHARES:
        raise ValueError(_("Shares may be at most %(max)s.") % {"max": MAX_SHARES})
    exponent = shares.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -SHARES_PLACES:
        raise ValueError(
            _("Shares may have at most %(places)s decimal places.") % {"places": SHARES_PLACES}
        )
    return shares.quantize(Decimal(1).scaleb(-SHARES_PLACES))


def _parse_yes_no(value: Any) -> bool:
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(_("Write 是 or 否, not “%(value)s”.") % {"value": cell_text(value)[:20]})


_PARSERS: dict[str, Any] = {
    "name": _text(NAME_MAX),
    "id_number": _parse_id,
    "household": _text(HOUSEHOLD_MAX),
    "group_name": _text(GROUP_MAX),
    "shares": parse_shares,
    "is_representative": _parse_yes_no,
    "mobile": parse_mobile_cell,
}


# --- the freeze ------------------------------------------------------------------


def roll_is_frozen(session: VotingSession) -> bool:
    return session.roll_frozen_at is not None or session.status != SessionStatus.DRAFT


def _lock(session: VotingSession) -> VotingSession:
    """The session row, locked for this transaction: opening the session waits for a
    roll write in progress, and a roll write sees an opening that came first."""
    return VotingSession.objects.select_for_update().select_related("body").get(pk=session.pk)


def _check_not_frozen(session: VotingSession) -> None:
    if roll_is_frozen(session):
        raise VoteError(_("The roll was frozen when voting opened; it can no longer be changed."))


def _representatives_only(session: VotingSession) -> bool:
    return session.body.kind == BodyKind.REPRESENTATIVES


# --- the import ----------------------------------------------------------------


def roll_import(
    *,
    session: VotingSession,
    file: IO[bytes],
    filename: str = "",
    actor: Any,
    replace: bool = False,
) -> ImportResult:
    """Check every row, then add all electors to the roll in one transaction, or none.

    Raises VoteError when the roll is frozen, ImportFileError when the file
    cannot be read as a workbook. Row errors come back in `result.errors`.
    `replace=True` empties the roll first (in the same transaction).
    """
    # Refuse a frozen roll before reading a possibly large file.
    _check_not_frozen(session)
    sheet = read_first_sheet(file, COLUMNS)
    result = ImportResult(rows=len(sheet.rows))
    errors = _Errors(result)

    missing = [c for c in COLUMNS if c.required and c.key not in sheet.positions]
    for column in missing:
        errors.add(
            sheet.header_row,
            column.key,
            _("The header row has no “%(column)s” column.") % {"column": column.header},
        )
    if _representatives_only(session) and "is_representative" not in sheet.positions:
        errors.add(
            sheet.header_row,
            "is_representative",
            _(
                "A representatives' meeting's roll lists representatives only: "
                "add the “%(column)s” column and mark each row 是."
            )
            % {"column": _BY_KEY["is_representative"].header},
        )
    if result.errors:
        return result
    if not sheet.rows:
        errors.add(
            sheet.header_row, "name", _("The file has a header row but no electors below it.")
        )
        return result

    for row in sheet.rows:
        for key, raw in row.values.items():
            if blank_cell(raw):
                if _BY_KEY[key].required:
                    errors.add(row.number, key, _("This cell is required."))
                continue
            try:
                row.clean[key] = _PARSERS[key](raw)
            except ValueError as exc:
                errors.add(row.number, key, str(exc))
            else:
                if _BY_KEY[key].required and row.clean[key] == "":
                    errors.add(row.number, key, _("This cell is required."))

    with transaction.atomic():
        locked = _lock(session)
        _check_not_frozen(locked)
        _check_rows(locked, sheet, errors, replace=replace)
        if result.errors:
            return result
        _write(locked, sheet, result, replace=replace)
        audit.record(
            actor=actor,
            action="votes.roll.import",
            obj=locked,
            summary=(
                f"{filename[:100]}: {result.created} electors added"
                + (f", {result.removed} removed first" if replace else "")
            ),
            # Counts only: the audit log keeps no elector's personal data.
            changes={
                "file": filename[:100],
                "rows": result.rows,
                "created": result.created,
                "removed": result.removed,
                "replace": replace,
            },
        )
    return result


def _check_rows(session: VotingSession, sheet: _Sheet, errors: _Errors, *, replace: bool) -> None:
    """The checks that need more than one cell: age, duplicates, representatives."""
    on_roll: dict[str, int] = {}
    if not replace:
        on_roll = dict(Elector.objects.filter(session=session).values_list("id_hash", "row_number"))
    first_row_of: dict[str, int] = {}
    only_representatives = _representatives_only(session)
    for row in sheet.rows:
        clean = row.clean
        n = row.number
        number = clean.get("id_number")
        if number:
            born = birth_date(number)
            if born > session.held_on or age_on(born, session.held_on) < ADULT_AGE:
                errors.add(
                    n,
                    "id_number",
                    _("This person is under 18 on the session's date (%(date)s).")
                    % {"date": session.held_on.isoformat()},
                )
            if number == example_id_number():
                errors.add(
                    n,
                    "id_number",
                    _("This is the template's example row; delete it from the file."),
                )
            digest = id_hash(number)
            clean["id_hash"] = digest
            clean["born_on"] = born
            first = first_row_of.setdefault(digest, n)
            if first != n:
                errors.add(
                    n,
                    "id_number",
                    _("The same ID number is in rows %(first)s and %(row)s.")
                    % {"first": first, "row": n},
                )
            elif digest in on_roll:
                errors.add(
                    n,
                    "id_number",
                    _("This person is already on the roll (row %(row)s).")
                    % {"row": on_roll[digest]},
                )
        if only_representatives and clean.get("is_representative") is not True:
            errors.add(
                n,
                "is_representative",
                _(
                    "Only representatives may be on a representatives' meeting's roll; "
                    "mark the row 是 or remove it."
                ),
            )


def _write(session: VotingSession, sheet: _Sheet, result: ImportResult, *, replace: bool) -> None:
    if replace:
        _total, by_model = Elector.objects.filter(session=session).delete()
        result.removed = by_model.get(Elector._meta.label, 0)
    # On an empty roll an elector's row is the spreadsheet's row, so that an
    # official can find it in the file; rows appended later continue the roll.
    last = Elector.objects.filter(session=session).order_by("-row_number").first()
    offset = (last.row_number - sheet.header_row) if last else 0
    electors = [
        Elector(
            session=session,
            name=row.clean["name"],
            id_hash=row.clean["id_hash"],
            born_on=row.clean["born_on"],
            household=row.clean["household"],
            group_name=row.clean.get("group_name", ""),
            shares=row.clean.get("shares", Decimal("0")),
            is_representative=row.clean.get("is_representative", False),
            mobile=row.clean.get("mobile", ""),
            row_number=row.number + offset,
        )
        for row in sheet.rows
    ]
    result.created = len(Elector.objects.bulk_create(electors, batch_size=500))


# --- one elector ---------------------------------------------------------------

_EDITABLE = ("name", "household", "group_name", "shares", "is_representative", "mobile")


def _audit_snapshot(elector: Elector) -> dict[str, Any]:
    # The audit log keeps a masked mobile and never the hash of the ID number.
    values = audit.snapshot(elector, _EDITABLE)
    values["mobile"] = mask_mobile(elector.mobile)
    return values


def _locked_elector(session: VotingSession, elector: Elector) -> Elector:
    try:
        return Elector.objects.select_for_update().get(pk=elector.pk, session=session)
    except Elector.DoesNotExist:
        raise VoteError(_("This elector is not on this session's roll.")) from None


def elector_update(
    *,
    elector: Elector,
    actor: Any,
    name: str,
    household: str,
    group_name: str = "",
    shares: Decimal = Decimal("0"),
    is_representative: bool = False,
    mobile: str = "",
) -> Elector:
    """Correct an elector's entry before the roll is frozen (the ID number is not editable:
    delete the entry and import the person again)."""
    name, household, group_name = name.strip(), household.strip(), group_name.strip()
    mobile = mobile.strip()
    if not name or len(name) > NAME_MAX:
        raise VoteError(_("Give a name of at most %(max)s characters.") % {"max": NAME_MAX})
    if not household or len(household) > HOUSEHOLD_MAX:
        raise VoteError(
            _("Give a household of at most %(max)s characters.") % {"max": HOUSEHOLD_MAX}
        )
    if len(group_name) > GROUP_MAX:
        raise VoteError(
            _("A villagers' group may have at most %(max)s characters.") % {"max": GROUP_MAX}
        )
    try:
        shares = parse_shares(shares)
    except ValueError as exc:
        raise VoteError(str(exc)) from None
    if mobile:
        try:
            mobile_validator(mobile)
        except ValidationError:
            raise VoteError(
                _("The mobile number must have 11 digits, such as 13800138000.")
            ) from None
    with transaction.atomic():
        session = _lock(elector.session)
        _check_not_frozen(session)
        locked = _locked_elector(session, elector)
        if _representatives_only(session) and not is_representative:
            raise VoteError(_("Only representatives may be on a representatives' meeting's roll."))
        before = _audit_snapshot(locked)
        locked.name = name
        locked.household = household
        locked.group_name = group_name
        locked.shares = shares
        locked.is_representative = is_representative
        locked.mobile = mobile
        locked.save(update_fields=list(_EDITABLE))
        audit.record(
            actor=actor,
            action="votes.elector.update",
            obj=locked,
            summary=f"{session.title}: row {locked.row_number}",
            before=before,
            after=_audit_snapshot(locked),
        )
    return locked


def elector_delete(*, elector: Elector, actor: Any) -> None:
    """Take an elector off the roll before it is frozen."""
    with transaction.atomic():
        session = _lock(elector.session)
        _check_not_frozen(session)
        locked = _locked_elector(session, elector)
        audit.record(
            actor=actor,
            action="votes.elector.delete",
            obj=locked,
            summary=f"{session.title}: row {locked.row_number}",
            changes={"session": session.pk, "row": locked.row_number},
        )
        locked.delete()


# --- counts --------------------------------------------------------------------


@dataclass(frozen=True)
class RollCounts:
    headcount: int
    households: int
    shares: Decimal
    representatives: int

    @property
    def shares_text(self) -> str:
        """2.5 rather than 2.5000, 100 rather than 1E+2."""
        return shares_text(self.shares)


def shares_text(shares: Decimal) -> str:
    return f"{shares.normalize():f}"


def _counts(electors: QuerySet[Elector]) -> RollCounts:
    figures = electors.aggregate(
        headcount=Count("pk"),
        households=Count("household", distinct=True),
        shares=Sum("shares"),
        representatives=Count("pk", filter=Q(is_representative=True)),
    )
    return RollCounts(
        headcount=figures["headcount"],
        households=figures["households"],
        shares=figures["shares"] or Decimal("0"),
        representatives=figures["representatives"],
    )


def roll_counts(session: VotingSession) -> RollCounts:
    """The whole roll: electors, distinct households, total shares, representatives."""
    return _counts(Elector.objects.filter(session=session))


def present_counts(session: VotingSession) -> RollCounts:
    """The electors present (in person or by proxy), counted the same ways."""
    return _counts(Elector.objects.filter(session=session, attendance__session=session))


# --- attendance and proxies --------------------------------------------------------


def _check_open(session: VotingSession) -> None:
    if session.status != SessionStatus.OPEN or session.roll_frozen_at is None:
        raise VoteError(
            _("Attendance and proxies are recorded only while the session is open for voting.")
        )


def _on_roll(session: VotingSession, elector: Elector) -> Elector:
    if elector.session_id != session.pk:
        raise VoteError(_("This elector is not on this session's roll."))
    return elector


def _has_ballot(elector: Elector) -> bool:
    return (
        Ballot.objects.filter(elector=elector).exists()
        or PaperEntry.objects.filter(elector=elector, resolved_at__isnull=True).exists()
    )


def attendance_record(
    *,
    session: VotingSession,
    elector: Elector,
    via: str = AttendanceVia.IN_PERSON,
    actor: Any,
) -> Attendance:
    """Mark an elector present. Recording the same elector the same way again returns
    the existing row; recording them another way is refused."""
    if via not in AttendanceVia.values:
        raise VoteError(_("Choose in person or by proxy."))
    with transaction.atomic():
        locked = _lock(session)
        _check_open(locked)
        _on_roll(locked, elector)
        existing = Attendance.objects.filter(session=locked, elector=elector).first()
        if existing is not None:
            if existing.via == via:
                return existing
            raise VoteError(
                _("%(name)s is already recorded as present (%(via)s).")
                % {"name": elector.name, "via": existing.get_via_display()}
            )
        if (
            via == AttendanceVia.PROXY
            and not Proxy.objects.filter(session=locked, principal=elector).exists()
        ):
            raise VoteError(
                _("%(name)s has no recorded proxy; record the proxy first.")
                % {"name": elector.name}
            )
        attendance = Attendance.objects.create(
            session=locked, elector=elector, via=via, recorded_by=_user_or_none(actor)
        )
        audit.record(
            actor=actor,
            action="votes.attendance.record",
            obj=attendance,
            summary=f"{locked.title}: row {elector.row_number} {via}",
            changes={"session": locked.pk, "row": elector.row_number, "via": via},
        )
    return attendance


def attendance_remove(*, session: VotingSession, elector: Elector, actor: Any) -> None:
    """Undo a sign-in made by mistake; only while the elector has no ballot. Removing a
    presence by proxy removes the proxy too."""
    with transaction.atomic():
        locked = _lock(session)
        _check_open(locked)
        _on_roll(locked, elector)
        attendance = Attendance.objects.filter(session=locked, elector=elector).first()
        if attendance is None:
            raise VoteError(_("%(name)s is not recorded as present.") % {"name": elector.name})
        if _has_ballot(elector):
            raise VoteError(
                _("%(name)s has a ballot in this session; the attendance stays.")
                % {"name": elector.name}
            )
        via = attendance.via
        proxies_removed = 0
        if via == AttendanceVia.PROXY:
            proxies_removed, _detail = Proxy.objects.filter(
                session=locked, principal=elector
            ).delete()
        audit.record(
            actor=actor,
            action="votes.attendance.remove",
            obj=attendance,
            summary=f"{locked.title}: row {elector.row_number} {via}",
            changes={
                "session": locked.pk,
                "row": elector.row_number,
                "via": via,
                "proxy_removed": bool(proxies_removed),
            },
        )
        attendance.delete()


def proxy_record(
    *,
    session: VotingSession,
    principal: Elector,
    agent: Elector,
    document: str = "",
    actor: Any,
) -> Proxy:
    """Record that `agent` votes for `principal`, and the principal as present by proxy."""
    document = document.strip()
    if len(document) > 100:
        raise VoteError(_("The proxy document's reference may be at most 100 characters."))
    with transaction.atomic():
        locked = _lock(session)
        _check_open(locked)
        _on_roll(locked, principal)
        _on_roll(locked, agent)
        if principal.pk == agent.pk:
            raise VoteError(_("An elector cannot hold their own proxy."))
        if Proxy.objects.filter(session=locked, principal=principal).exists():
            raise VoteError(
                _("%(name)s has already given a proxy in this session.") % {"name": principal.name}
            )
        present = Attendance.objects.filter(session=locked, elector=principal).first()
        if present is not None:
            raise VoteError(
                _("%(name)s is already present (%(via)s) and votes in person.")
                % {"name": principal.name, "via": present.get_via_display()}
            )
        if _has_ballot(principal):
            raise VoteError(
                _("%(name)s already has a ballot in this session.") % {"name": principal.name}
            )
        # A proxy is held by an elector voting for themselves too: no chains of proxies.
        if Proxy.objects.filter(session=locked, principal=agent).exists():
            raise VoteError(
                _("%(name)s has given their own proxy and cannot hold one.") % {"name": agent.name}
            )
        if Proxy.objects.filter(session=locked, agent=principal).exists():
            raise VoteError(
                _("%(name)s holds proxies of others and cannot give their own.")
                % {"name": principal.name}
            )
        limit = locked.body.max_proxies_per_agent
        if Proxy.objects.filter(session=locked, agent=agent).count() >= limit:
            raise VoteError(
                _("%(name)s already holds %(limit)s proxies, the most one elector may hold.")
                % {"name": agent.name, "limit": limit}
            )
        proxy = Proxy.objects.create(
            session=locked,
            principal=principal,
            agent=agent,
            document=document,
            recorded_by=_user_or_none(actor),
        )
        Attendance.objects.create(
            session=locked,
            elector=principal,
            via=AttendanceVia.PROXY,
            recorded_by=_user_or_none(actor),
        )
        audit.record(
            actor=actor,
            action="votes.proxy.record",
            obj=proxy,
            summary=f"{locked.title}: row {agent.row_number} for row {principal.row_number}",
            changes={
                "session": locked.pk,
                "principal_row": principal.row_number,
                "agent_row": agent.row_number,
                "document": document,
            },
        )
    return proxy


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- the template and the export -------------------------------------------------


def example_id_number() -> str:
    """A made-up number with a valid check digit, generated rather than copied from a
    card (the same as the tests' elector 0), for the template's example row."""
    return with_check_digit("44060519700101000")


def template_workbook() -> bytes:
    """The blank roll: the header row and one example row, plus a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "选民名册"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = ["示例（导入前删除此行）", example_id_number(), "0001", "第一村民小组", 1, "否", ""]
    sheet.append(example)
    for letter, width in zip("ABCDEFG", (22, 22, 10, 14, 8, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    # ID numbers, households and mobiles as text: Excel rounds an 18-digit number.
    for letter in "BCG":
        for row in range(2, 2002):
            sheet[f"{letter}{row}"].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "是否必填", "说明"])
    explanations = {
        "name": "选民姓名",
        "id_number": (
            "18位居民身份证号码（单元格设为文本）；系统只保存其加密摘要和出生日期，不保存号码"
        ),
        "household": "户号，同一户填写相同户号",
        "group_name": "所属村民小组",
        "shares": "股份数，0或以上，最多4位小数（不填为0）",
        "is_representative": "是 或 否（不填为否）；村民代表会议的名册只列村民代表",
        "mobile": "11位手机号，用于手机投票（选填）",
    }
    for column in COLUMNS:
        notes.append(
            [column.header, "必填" if column.required else "选填", explanations[column.key]]
        )
    notes.append(
        ["", "", "会议当日未满18周岁者、名册内重复者不能导入；任何一行有错误时整份文件不导入。"]
    )
    notes.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_rows(session: VotingSession) -> Iterable[list[Any]]:
    """The roll for a spreadsheet: no ID hash, the mobile masked."""
    electors = Elector.objects.filter(session=session).order_by("row_number", "pk")
    for elector in electors.iterator(chunk_size=1000):
        yield [
            elector.row_number,
            elector.name,
            elector.household,
            elector.group_name,
            elector.shares,
            _("Yes") if elector.is_representative else _("No"),
            mask_mobile(elector.mobile),
        ]
