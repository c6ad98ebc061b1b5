"""Benchmark 2: API economy over a simulated month of daily syncs.

A ``month`` world ending now; the sandbox clock starts one day into the month and moves one
day before each later sync, the webhook archive grows with it, and each sync continues from the
previous sync's last STATE. Per sync the sandbox counts calls per shipment; the bound is
``2 x newly discovered + still active`` (GetOrder + GetTracking for a new shipment, GetTracking
for each shipment still active at the start of the sync) and terminal shipments get zero calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from benchmarks.api_calls import parse_stats
from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import WorldSpec, iso, start_sandbox
from benchmarks.tap_runner import bookkeeping, run_tap, write_config
from shipping_sandbox.world import World

NUMBER = 2
TITLE = "API economy"
DAY = timedelta(days=1)


@dataclass
class SyncCalls:
    day: int
    clock: datetime
    new: int
    active: int
    shipment_calls: int
    other_calls: dict[str, int]
    terminal_calls: int
    terminal_known: int
    throttled: int
    seconds: float

    @property
    def bound(self) -> int:
        return 2 * self.new + self.active


def first_delivery(world: World) -> dict[int, int]:
    return {s.order_id: min(s.webhook_times) for s in world.shipments if s.webhook_times}


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    spec = WorldSpec("month", {"shipments": s.economy_shipments, "end": end}, seed=s.seed)
    work = ctx.scratch("api_economy")
    syncs: list[SyncCalls] = []
    with start_sandbox(spec, work) as sandbox:
        world = sandbox.world
        tracking = {sh.tracking_number: sh.order_id for sh in world.shipments}
        first_seen = first_delivery(world)
        # one sync a day, the last one at the end of the month
        clocks = [end - (s.economy_days - 1 - i) * DAY for i in range(s.economy_days)]
        state = None
        known: set[int] = set()
        for day, clock in enumerate(clocks, 1):
            sandbox.set_clock(clock)
            archive = sandbox.write_archive(clock)
            config = write_config(work / "config.json", api_url=sandbox.url,
                                  archive_glob=archive, max_concurrency=8)
            book = bookkeeping(state)
            active_before = set(book.get("active", {}))
            terminal_before = set(book.get("done", {}))
            discovered = {oid for oid, t in first_seen.items() if t <= clock.timestamp()}
            new = discovered - known
            known |= discovered
            sandbox.reset_stats()
            run_ = run_tap(work, config, state=state, label=f"day{day:02d}")
            stats = parse_stats(sandbox.stats(), tracking)
            if run_.output is None or run_.output.state is None:
                raise RuntimeError(f"day {day}: the tap emitted no STATE message "
                                   f"(log: {run_.child.stderr})")
            state = run_.output.state
            syncs.append(SyncCalls(
                day=day, clock=clock, new=len(new), active=len(active_before),
                shipment_calls=stats.shipment_calls,
                other_calls={m: n for m, n in stats.by_method.items()
                             if m not in ("GetOrder", "GetTracking")},
                terminal_calls=sum(stats.per_shipment.get(k, 0) for k in terminal_before),
                terminal_known=len(terminal_before), throttled=stats.throttled,
                seconds=run_.seconds))
            ctx.log.info("economy day %d (%s): new %d, active %d, bound %d, shipment calls %d, "
                         "other %s, calls to terminal %d", day, iso(clock), len(new),
                         len(active_before), syncs[-1].bound, stats.shipment_calls,
                         syncs[-1].other_calls, syncs[-1].terminal_calls)
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(), figures(syncs),
                           details(syncs, s.economy_shipments))


def figures(syncs: list[SyncCalls]) -> list[Figure]:
    out: list[Figure] = []
    for sync in syncs[1:3]:
        fig = Figure(NUMBER, f"sync {sync.day} (a simulated day later): shipment API calls",
                     "calls", [float(sync.shipment_calls)], floor=float(sync.bound),
                     floor_label=f"2 x {sync.new} new + {sync.active} active")
        fig.check_ratio(1.0)
        fig.target = "≤ 2 x new + active"
        if fig.met is False:
            fig.note = (f"{sync.shipment_calls} calls for a bound of {sync.bound}; see the "
                        "per-day table in section 2")
        out.append(fig)
    later = syncs[1:]
    if later:
        terminal = Figure(NUMBER, f"calls for already-terminal shipments, syncs 2..{syncs[-1].day}",
                          "calls", [float(sum(x.terminal_calls for x in later))])
        terminal.check_at_most(0, "0")
        out.append(terminal)
        within = sum(x.shipment_calls <= x.bound for x in later)
        month = Figure(NUMBER, f"daily syncs within the bound ({len(later)} after the first)",
                       "syncs", [float(within)], target=f"{len(later)} of {len(later)}",
                       met=within == len(later))
        out.append(month)
        per_sync = Figure(NUMBER, f"API calls per daily sync over {syncs[-1].day} days",
                          "calls", [float(x.shipment_calls + sum(x.other_calls.values()))
                                    for x in later],
                          floor=median([float(x.bound) for x in later]),
                          floor_label="median bound")
        month_total = sum(x.shipment_calls + sum(x.other_calls.values()) for x in syncs)
        per_sync.note = (f"total {month_total:,} calls for the month including the first "
                         f"sync ({syncs[0].shipment_calls:,} shipment calls)")
        out.append(per_sync)
    return out


def details(syncs: list[SyncCalls], shipments: int) -> str:
    lines = [f"Method: sandbox world `month` with {shipments:,} shipments ending now; one sync "
             "per simulated day (sandbox clock moved with `POST /_sandbox/clock`, archive "
             "rewritten up to the clock, state carried over from the previous sync's last "
             "STATE message), max_concurrency 8, no injected latency. `new` = OrderIDs whose "
             "first webhook delivery falls in the day; `active` = shipments in the tap's active "
             "set at the start of the sync; shipment calls = GetOrder + GetTracking; other = "
             "per-sync calls not tied to a shipment.", "",
             "| sync | clock | new | active | bound | shipment calls | other calls | "
             "calls to terminal (of known terminal) | 429s | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for x in syncs:
        other = ", ".join(f"{k} {v}" for k, v in sorted(x.other_calls.items())) or "0"
        lines.append(f"| {x.day} | {iso(x.clock)} | {x.new} | {x.active} | {x.bound} | "
                     f"{x.shipment_calls} | {other} | {x.terminal_calls} ({x.terminal_known}) | "
                     f"{x.throttled} | {x.seconds:.1f} |")
    return "\n".join(lines)
