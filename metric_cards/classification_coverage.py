"""The ``classification_coverage`` data-quality figure, computed in SQL from ``tracking_events``.

An exception rate is only as true as the classifier under it. The tap writes, per event, what
decided its classification (``classified_by``: ``carrier_code``, ``message`` (a mapping rule),
``lexicon`` (the fallback stem lexicon), ``shippypro_code`` or ``none``). Among the events that
occurred in the card window and carry text or a carrier code, the figure is the share decided
by the carrier's own words (code, rule or lexicon) rather than by the bare ShippyPro status
code or by nothing. The same share is given for exception-coded events (ShippyPro 4/5 and
their 1000-series), where a miss turns a specific cause into a generic one. No tap import: the
card engine reads only warehouse columns (docs/metric-cards.md).
"""

from __future__ import annotations

from typing import Any

from shipping_core.windows import Window

DECIDED_BY_TEXT = ("carrier_code", "message", "lexicon")
EXCEPTION_CODES = (4, 5)


def coverage_query(schema: str | None, window: Window) -> Any:
    """The four counts of the figure over the events that occurred in ``window`` (SQLAlchemy,
    imported here: a plan-cache process only reads the rows)."""
    from sqlalchemy import and_, case, func, or_, select

    from metric_cards.dialect import instant, utc_ts
    from metric_cards.warehouse import contract_tables

    events = contract_tables(schema).tracking_events
    c = events.c
    has_words = or_(and_(c.message.is_not(None), c.message != ""),
                    and_(c.carrier_code.is_not(None), c.carrier_code != ""))
    decided = c.classified_by.in_(DECIDED_BY_TEXT)
    folded = case((and_(c.shippypro_code >= 1000, c.shippypro_code <= 9999),
                   c.shippypro_code / 1000), else_=c.shippypro_code)
    exception_coded = folded.in_(EXCEPTION_CODES)

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    return select(count(has_words), count(has_words, decided),
                  count(has_words, exception_coded),
                  count(has_words, exception_coded, decided)).where(
        utc_ts(c.occurred_at) >= instant(window.start),
        utc_ts(c.occurred_at) < instant(window.end))


def coverage_figures(row: tuple[Any, ...]) -> dict[str, Any]:
    """``{"classification_coverage": {...}}`` from the four counts of ``coverage_query``."""
    events_n, decided_n, exc_n, exc_decided_n = (int(v or 0) for v in row)
    return {"classification_coverage": {
        "value": round(decided_n / events_n, 4) if events_n else None,
        "events": events_n,
        "decided_by_code_rule_or_lexicon": decided_n,
        "exception_coded_value": round(exc_decided_n / exc_n, 4) if exc_n else None,
        "exception_coded_events": exc_n,
        "exception_coded_decided": exc_decided_n,
        "definition": "share of events with a message or carrier code, occurring in the "
                      "window, whose classification was decided by the carrier code, a "
                      "message rule or the fallback lexicon (classified_by) rather than by "
                      "the ShippyPro status code alone or by nothing",
    }}
