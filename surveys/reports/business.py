"""Monthly business figures (docs/definitions.md): customers at the start of a month, new
customers and customers at its end, and the support cost; checked as they arrive (JSON, a
form, a CSV line) and turned into CRR, churn and cost per resolution.

Plain values in and out: no Flask, no SQLite. Money is exact: the cost is read as a
decimal, kept in whole cents and divided as a Decimal, so no binary fraction creeps in.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from surveys import clock

COUNT_FIELDS = ("customers_start", "customers_new", "customers_end")
FIELDS = (*COUNT_FIELDS, "support_cost")
# The public ROW of GET /api/v1/business, in order.
ROW_FIELDS = (
    "month",
    "customers_start",
    "customers_new",
    "customers_end",
    "crr_pct",
    "churn_pct",
    "support_cost",
    "tickets",
    "cost_per_resolution",
)
MAX_CUSTOMERS = 1_000_000_000
MAX_COST_CENTS = 100_000_000_000_000  # 1,000,000,000,000.00: the column's CHECK too
MAX_MONTHS = 120  # ten years of rows in one answer
CENT = Decimal("0.01")
WHOLE_TEXT = re.compile(r"-?[0-9]{1,12}")
MONEY_TEXT = re.compile(r"-?[0-9]{1,15}(\.[0-9]+)?")


class BusinessError(ValueError):
    """Figures that cannot be stored; carries a message per field."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name} {message}" for name, message in errors.items()))
        self.errors = errors


def read_month(text, this_month):
    """A YYYY-MM month not after `this_month`; ValueError saying what is wrong."""
    month = clock.parse_period(text)
    if month > this_month:
        raise ValueError("is in the future")
    return month


def read_count(value, text=False):
    """A number of customers: a whole number from 0 to MAX_CUSTOMERS (digits as text when
    `text`, from a form or a CSV); ValueError saying what is wrong."""
    if text and isinstance(value, str) and WHOLE_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if value < 0:
        raise ValueError("must not be negative")
    if not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value > MAX_CUSTOMERS:
        raise ValueError(f"must be at most {MAX_CUSTOMERS:,}")
    return value


def read_cost(value, text=False):
    """A support cost in whole cents, from a number with at most two decimals (text when
    `text`); ValueError saying what is wrong."""
    if text and isinstance(value, str) and MONEY_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float) and value == value and abs(value) != float("inf"):
        # repr() is the shortest text that reads back as this float: the decimal the
        # sender wrote, for any amount of up to 15 digits.
        amount = Decimal(repr(value))
    else:
        raise ValueError("must be a number")
    if amount < 0:
        raise ValueError("must not be negative")
    # Bounded before quantize(), which cannot hold a number as large as 1e300.
    if amount * 100 > MAX_COST_CENTS:
        raise ValueError(f"must be at most {Decimal(MAX_COST_CENTS) / 100:,.2f}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError("must have at most 2 decimals")
    return int(amount * 100)


def read_figures(given, text=False):
    """The fields given for a month as {field: value} (None clears a field; cost in
    cents), or BusinessError naming every field that is wrong or unknown."""
    if not isinstance(given, dict):
        raise BusinessError({"body": "must be a JSON object"})
    figures, errors = {}, {}
    for name, value in given.items():
        if name not in FIELDS:
            if len(errors) < 20:  # a message per field, not a flood
                errors[str(name)[:100]] = f"is not a field of a month ({', '.join(FIELDS)})"
            continue
        stored_as = "support_cost_cents" if name == "support_cost" else name
        if value is None or (text and isinstance(value, str) and not value.strip()):
            figures[stored_as] = None
            continue
        try:
            read = read_cost if name == "support_cost" else read_count
            figures[stored_as] = read(value, text)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise BusinessError(errors)
    return figures


def check_customers(record):
    """BusinessError when customers at the end less the new ones fall below 0 or above
    the customers at the start (a month keeps at most every customer it began with)."""
    start, new, end = (record.get(name) for name in COUNT_FIELDS)
    if end is None or new is None:
        return
    retained = end - new
    if retained < 0:
        raise BusinessError(
            {"customers_end": f"less customers_new is {retained}: it must not be below 0"}
        )
    if start is not None and retained > start:
        raise BusinessError(
            {
                "customers_end": f"less customers_new is {retained}: it must not be above "
                f"customers_start ({start})"
            }
        )


def crr_pct(start, new, end):
    """Customer retention rate: (end − new) ÷ start × 100; None without a figure or start."""
    if start is None or new is None or end is None or not start:
        return None
    return (end - new) / start * 100


def cost_per_resolution(cents, tickets):
    """The support cost ÷ tickets closed, to the cent (half up); None when either is
    missing or no ticket was closed."""
    if cents is None or not tickets:
        return None
    return (Decimal(cents) / 100 / tickets).quantize(CENT, rounding=ROUND_HALF_UP)


def month_row(month, stored, tickets):
    """A public ROW from a month's stored figures (None: nothing entered) and the tickets
    closed in it: percentages to one decimal, money to two."""
    stored = stored or {}
    start, new, end = (stored.get(name) for name in COUNT_FIELDS)
    cents = stored.get("support_cost_cents")
    retained = crr_pct(start, new, end)
    per_resolution = cost_per_resolution(cents, tickets)
    return {
        "month": month,
        "customers_start": start,
        "customers_new": new,
        "customers_end": end,
        "crr_pct": None if retained is None else round(retained, 1) + 0.0,
        "churn_pct": None if retained is None else round(100 - retained, 1) + 0.0,
        "support_cost": None if cents is None else float(Decimal(cents) / 100),
        "tickets": tickets,
        "cost_per_resolution": None if per_resolution is None else float(per_resolution),
    }


def months_between(first, last):
    """Every YYYY-MM month from `first` to `last`, both included."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = clock.add_months(month, 1)
    return months


def read_months(args, this_month):
    """(from, to) months of a GET: `to` defaults to this month, `from` to eleven months
    before `to`; BusinessError naming the parameter when malformed, reversed or longer
    than MAX_MONTHS."""
    errors, months = {}, {}
    for name in ("from", "to"):
        value = args.get(name)
        if value:
            try:
                months[name] = clock.parse_period(value)
            except ValueError as error:
                errors[name] = str(error)
    if errors:
        raise BusinessError(errors)
    last = months.get("to", this_month)
    first = months.get("from", clock.add_months(last, -11))
    if first > last:
        raise BusinessError({"from": "must not be after to"})
    if last > clock.add_months(first, MAX_MONTHS - 1):
        raise BusinessError({"to": f"must be at most {MAX_MONTHS} months after from"})
    return first, last
