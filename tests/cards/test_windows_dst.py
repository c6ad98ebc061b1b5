"""Window edges in UTC and in Europe/Rome, across the 29 Mar 2026 clock change."""

from __future__ import annotations

from .warehouses import Rows

AS_OF_ROME = "2026-04-05T10:00:00+02:00"   # Rome days 6 Mar .. 4 Apr 2026


def edge_rows() -> Rows:
    r = Rows()
    r.ship("before_rome_start", "2026-03-05T22:59:59Z")   # 5 Mar 23:59:59 CET
    r.ship("rome_start", "2026-03-05T23:00:00Z")          # 6 Mar 00:00 CET; 5 Mar in UTC
    r.ship("utc_start", "2026-03-06T00:00:00Z")
    r.ship("dst_day_first", "2026-03-28T23:00:00Z")       # 29 Mar 00:00 CET
    r.ship("dst_day_last", "2026-03-29T21:59:59Z")        # 29 Mar 23:59:59 CEST
    r.ship("after_dst_day", "2026-03-29T22:00:00Z")       # 30 Mar 00:00 CEST
    r.ship("rome_last", "2026-04-04T21:59:59Z")           # 4 Apr 23:59:59 CEST
    r.ship("rome_end", "2026-04-04T22:00:00Z")            # 5 Apr 00:00 CEST: today, outside
    r.ship("utc_last", "2026-04-04T23:59:59Z")
    return r


def test_window_in_europe_rome_spans_dst(run):
    p = run(edge_rows(), "exception_rate", AS_OF_ROME, timezone="Europe/Rome")
    assert p["window"] == {"start": "2026-03-05T23:00:00Z", "end": "2026-04-04T22:00:00Z",
                           "first_day": "2026-03-06", "last_day": "2026-04-04"}
    assert p["timezone"] == "Europe/Rome"
    # rome_start, utc_start, dst_day_first, dst_day_last, after_dst_day, rome_last
    assert p["denominator"] == 6
    assert p["comparison"]["denominator"] == 1   # before_rome_start
    series = {d["date"]: d["denominator"] for d in p["series"]}
    assert len(series) == 30
    assert series["2026-03-06"] == 2
    assert series["2026-03-29"] == 2              # the 23-hour day keeps both edges
    assert series["2026-03-30"] == 1
    assert series["2026-04-04"] == 1


def test_window_in_utc(run):
    p = run(edge_rows(), "exception_rate", AS_OF_ROME)
    assert p["window"]["start"] == "2026-03-06T00:00:00Z"
    assert p["window"]["end"] == "2026-04-05T00:00:00Z"
    # utc_start, dst_day_first, dst_day_last, after_dst_day, rome_last, rome_end, utc_last
    assert p["denominator"] == 7
    assert p["comparison"]["denominator"] == 2
    series = {d["date"]: d["denominator"] for d in p["series"]}
    assert series["2026-03-28"] == 1 and series["2026-03-29"] == 2
    assert series["2026-04-04"] == 3


def test_rome_reading_at_cet_nine_covers_seed_window(run):
    r = Rows()
    r.ship("first", "2026-02-09T23:00:00Z")   # 10 Feb 00:00 CET
    r.ship("last", "2026-03-11T22:59:59Z")    # 11 Mar 23:59:59 CET
    p = run(r, "exception_rate", "2026-03-12T09:00:00+01:00", timezone="Europe/Rome")
    assert (p["window"]["first_day"], p["window"]["last_day"]) == ("2026-02-10", "2026-03-11")
    assert p["denominator"] == 2
