#!/usr/bin/env python3
"""Time short commands in alternation: round after round, each command runs
once (in a rotating order, so none always follows another), and the wall
time of each run is kept. Prints, per command, the median and quartiles of
its runs and, against the first command (the reference), the median of the
per-round ratios and the ratio of the medians.

Alternating run by run (rather than N runs of one command, then N of the
other, as hyperfine does) makes both commands share whatever else the
machine is doing at that moment, which on a shared 2-CPU VM matters more
than the differences being measured.

Each run is posix_spawn + wait4 with stdin, stdout and stderr on
/dev/null; the time covers exactly that, so the (small, constant) cost of
spawning from Python is in every command's time and makes ratios err
towards 1, never away from it. The CPU time (user + system, from wait4)
of each run is shown too: it does not count time spent waiting for a CPU,
so it varies less when the machine is busy. A run that exits with an unexpected status
stops the benchmark: a failing command is fast and must not look good.

Usage:
  alternate.py [--rounds N] [--warmup N] [--json FILE] NAME=COMMAND ...
COMMAND is split like a shell would (shlex), without a shell.
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import time


def spawn_and_wait(argv, devnull):
    file_actions = [
        (os.POSIX_SPAWN_DUP2, devnull, 0),
        (os.POSIX_SPAWN_DUP2, devnull, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2),
    ]
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=file_actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter_ns() - start
    cpu = round((usage.ru_utime + usage.ru_stime) * 1e9)
    return elapsed, cpu, os.waitstatus_to_exitcode(status)


def quantile(values, q):
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", help="write every run's time (ns) here")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()

    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        commands.append((name, shlex.split(command)))

    devnull = os.open(os.devnull, os.O_RDWR)
    times = {name: [] for name, _ in commands}
    cpu_times = {name: [] for name, _ in commands}
    expected = {}
    for round_ in range(args.warmup + args.rounds):
        shift = round_ % len(commands)
        for name, argv in commands[shift:] + commands[:shift]:
            elapsed, cpu, code = spawn_and_wait(argv, devnull)
            if expected.setdefault(name, code) != code:
                sys.exit(
                    f"alternate.py: {name} exited {code}, first {expected[name]}: "
                    f"{shlex.join(argv)}"
                )
            if round_ >= args.warmup:
                times[name].append(elapsed)
                cpu_times[name].append(cpu)

    ref = commands[0][0]
    ref_median = statistics.median(times[ref])
    print(f"{args.rounds} alternating rounds ({args.warmup} warm-up rounds not counted)")
    ref_cpu = statistics.median(cpu_times[ref])
    print(
        f"{'command':<20} {'median':>9} {'q1':>9} {'q3':>9}  {'ratio':>6} {'round ratio':>11}"
        f"  {'cpu median':>10} {'cpu ratio':>9}  exit"
    )
    summary = {}
    for name, argv in commands:
        runs = times[name]
        median = statistics.median(runs)
        ratio = median / ref_median
        round_ratio = statistics.median(t / r for t, r in zip(runs, times[ref]))
        cpu = statistics.median(cpu_times[name])
        summary[name] = {
            "command": argv,
            "exit": expected[name],
            "median_ns": median,
            "q1_ns": quantile(runs, 0.25),
            "q3_ns": quantile(runs, 0.75),
            "ratio_to_" + ref: ratio,
            "round_ratio_to_" + ref: round_ratio,
            "cpu_median_ns": cpu,
            "cpu_ratio_to_" + ref: cpu / ref_cpu if ref_cpu else None,
            "runs_ns": runs,
            "cpu_ns": cpu_times[name],
        }
        cpu_ratio = f"{cpu / ref_cpu:>9.3f}" if ref_cpu else f"{'-':>9}"
        print(
            f"{name:<20} {median / 1e6:>7.3f}ms {quantile(runs, 0.25) / 1e6:>7.3f}ms "
            f"{quantile(runs, 0.75) / 1e6:>7.3f}ms  {ratio:>6.3f} {round_ratio:>11.3f}"
            f"  {cpu / 1e6:>8.3f}ms {cpu_ratio}  {expected[name]}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out)


if __name__ == "__main__":
    main()
