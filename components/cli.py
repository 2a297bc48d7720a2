"""The ``infermon`` command (also ``python -m components``).

Exit codes: 0 success; 2 invalid configuration (nothing written); 1 any other failure,
including rendered output that fails validation.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NoReturn, Optional

from .config import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _stacks(arg: str, root: Optional[Path]) -> list[str]:
    from .render.stackfile import available_stacks

    return available_stacks(root) if arg == "all" else [arg]


@dataclass
class RenderOutcome:
    """What one stack's render hands back to ``cmd_render`` (from another process with --stack all)."""

    stack: str
    error: Optional[str] = None
    """The configuration error that stopped the render (exit 2), else None."""
    ok: bool = False
    files: dict[str, str] = field(default_factory=dict)
    preview: str = ""


def _render_one(stack: str, root: Optional[Path], config_of: Optional[str]) -> RenderOutcome:
    from .render import render, stackfile
    from .render.summary import preview_summary

    print(f"infermon: rendering stack '{stack}'…", file=sys.stderr, flush=True)
    try:
        r = render.build(stack, root, config_of=config_of)
    except (ConfigError, stackfile.StackFileError) as exc:
        return RenderOutcome(stack, error=str(exc))
    return RenderOutcome(stack, ok=r.ok, files=r.files, preview=preview_summary(r))


def _stack_size(root: Optional[Path]):
    """A stack's size for handing out the largest first: its stack file's bytes."""
    from .render.stackfile import stacks_dir

    def size(stack: str) -> int:
        path = stacks_dir(root) / f"Pulumi.{stack}.yaml"
        return path.stat().st_size if path.is_file() else 0

    return size


def cmd_render(args: argparse.Namespace) -> int:
    from .render import parallel, render
    from .render.summary import written_summary

    root = Path(args.project_dir) if args.project_dir else None
    stacks = _stacks(args.stack, root)
    multi = len(stacks) > 1
    base = Path(args.out) if args.out else Path("out")
    out_dirs = {stack: base / stack if (multi or not args.out) else base for stack in stacks}
    for out_dir in out_dirs.values():
        if problem := unwritable(out_dir):
            print(f"error: --out {out_dir}: {problem}", file=sys.stderr)
            return EXIT_INVALID
    # every stack rendered and validated before anything is written
    rendered = parallel.each_stack(partial(_render_one, root=root, config_of=args.config_of), stacks, args.jobs, _stack_size(root))
    if errors := [r.error for r in rendered if r.error]:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return EXIT_INVALID
    if not all(r.ok for r in rendered) and not os.environ.get(WRITE_INVALID):
        for r in rendered:
            print(r.preview)
        print("error: rendered output failed validation (see ✗ above); nothing was written.", file=sys.stderr)
        return EXIT_FAILED
    for r in rendered:
        try:
            render.write(r.files, out_dirs[r.stack])
        except OSError as exc:
            print(f"error: cannot write to {out_dirs[r.stack]}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_INVALID
        print(r.preview + written_summary(r.files, out_dirs[r.stack]))
    if not all(r.ok for r in rendered):
        print("error: rendered output failed validation (see ✗ above)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


WRITE_INVALID = "INFERMON_WRITE_INVALID"
"""Set by ``infermon diff`` for its renders: a side whose validation fails is still compared."""


def unwritable(path: Path) -> Optional[str]:
    """Why a directory cannot be created or replaced at ``path`` (None when it can, as far as
    can be told without writing)."""
    path = path.absolute()
    if path.exists() and not path.is_dir():
        return "exists and is not a directory"
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is not a directory"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable"
    return None


def unwritable_file(path: Path) -> Optional[str]:
    """Why a report file cannot be written at ``path`` (None when it can, as far as can be told)."""
    path = path.absolute()
    if path.is_dir():
        return "is a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return "is not writable"
    return unwritable(path.parent)  # the directory it goes in (created if missing)


def _write_report(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


def _check_one(stack: str, root: Optional[Path]) -> tuple[str, bool, Optional[str]]:
    """(policy report, mandatory violation, configuration error) of one stack."""
    from .render import render, stackfile
    from .render.policy import format_results

    try:
        r = render.build(stack, root)
    except (ConfigError, stackfile.StackFileError) as exc:
        return "", False, str(exc)
    return format_results(r.policies, stack), any(p.enforcement == "mandatory" for p in r.policies), None


def cmd_check(args: argparse.Namespace) -> int:
    """Render offline and run the policy pack's rules; non-zero on a mandatory violation."""
    from .render import parallel

    root = Path(args.project_dir) if args.project_dir else None
    stacks = _stacks(args.stack, root)
    results = parallel.each_stack(partial(_check_one, root=root), stacks, args.jobs, _stack_size(root))
    if errors := [error for _, _, error in results if error]:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    status = EXIT_OK
    for stack, (report, mandatory, _) in zip(stacks, results):
        print(f"Stack {stack}")
        print(report)
        if mandatory:
            status = EXIT_FAILED
    if status != EXIT_OK:
        print("error: mandatory policy violations (see ✗ above)", file=sys.stderr)
    return status


def cmd_diff(args: argparse.Namespace) -> int:
    from .review.diff import run_diff

    if args.against:
        if args.base or args.stack == "all":
            print("error: --against compares two stacks of the working tree: give --stack STACK --against TARGET, without --base",
                  file=sys.stderr)
            return EXIT_INVALID
    elif not args.base:
        print("error: give --base GIT_REF (a pull request's changes) or --stack STACK --against TARGET (a promotion review)", file=sys.stderr)
        return EXIT_INVALID
    return run_diff(args.base, args.stack, Path(args.project_dir) if args.project_dir else None, args.out, args.against)


def cmd_verify(args: argparse.Namespace) -> int:
    from .render import stackfile
    from .verify.run import format_report, verify

    root = Path(args.project_dir) if args.project_dir else None
    for flag, value in (("--json", args.json), ("--markdown", args.markdown)):
        if value and (problem := unwritable_file(Path(value))):
            print(f"error: {flag} {value}: {problem}", file=sys.stderr)
            return EXIT_INVALID
    if args.live or args.prometheus_url:
        return _verify_live(args, root)
    for flag in ("bearer_token_file", "basic_auth_file", "ca_file"):
        if getattr(args, flag):
            print(f"error: --{flag.replace('_', '-')} is for --live (the simulated run needs no credentials)", file=sys.stderr)
            return EXIT_INVALID
    status = EXIT_OK
    reports = []
    for stack in _stacks(args.stack, root):
        try:
            report = verify(stack, root, progress=lambda m: print(m, file=sys.stderr, flush=True))
        except (ConfigError, stackfile.StackFileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID
        except KeyboardInterrupt:
            print("interrupted: simulators and Prometheus stopped, temporary files removed", file=sys.stderr)
            return 130
        print(format_report(report))
        reports.append(report)
        if not report.ok:
            status = EXIT_FAILED
    _write_reports(args, reports)
    return status


def _write_reports(args: argparse.Namespace, reports: list) -> None:
    from .verify.run import markdown_report

    if args.json:
        docs = [json.loads(r.to_json()) for r in reports]
        _write_report(args.json, json.dumps(docs if len(docs) > 1 else docs[0], indent=2, sort_keys=True) + "\n")
    if args.markdown:
        _write_report(args.markdown, "\n".join(markdown_report(r) for r in reports))


def _verify_live(args: argparse.Namespace, root: Optional[Path]) -> int:
    """``verify --live``: the stack's declarations asked of a running Prometheus."""
    from .render import render, stackfile
    from .verify.live import Auth, LiveError, LiveProm, verify_live
    from .verify.run import format_report

    if not args.live:
        print("error: --prometheus-url asks a running Prometheus: add --live (or drop the URL for the simulated run)", file=sys.stderr)
        return EXIT_INVALID
    if not args.prometheus_url:
        print("error: --live needs --prometheus-url URL, e.g. http://127.0.0.1:9090 after "
              "`kubectl -n monitoring port-forward svc/infermon-prometheus 9090`", file=sys.stderr)
        return EXIT_INVALID
    if args.stack == "all":
        print("error: --live checks one stack against its own Prometheus: name it with --stack", file=sys.stderr)
        return EXIT_INVALID
    if args.bearer_token_file and args.basic_auth_file:
        print("error: --bearer-token-file and --basic-auth-file: give one of them", file=sys.stderr)
        return EXIT_INVALID
    auth = Auth(*(Path(f) if f else None for f in (args.bearer_token_file, args.basic_auth_file, args.ca_file)))
    try:
        prom = LiveProm(args.prometheus_url, auth)
        rendered = render.build(args.stack, root)
        report = verify_live(rendered, prom, progress=lambda m: print(m, file=sys.stderr, flush=True))
    except (ConfigError, stackfile.StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except LiveError as exc:
        print(f"error: cannot ask the Prometheus: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    print(format_report(report))
    _write_reports(args, [report])
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_config(args: argparse.Namespace) -> int:
    """A stack's effective config: every value with the file (and line) it came from."""
    from .config.layers import LayerError
    from .render import effective, stackfile

    root = Path(args.project_dir) if args.project_dir else None
    try:
        if args.flat:
            print(effective.flat(args.stack, root), end="")
            return EXIT_OK
        out = [effective.header(args.stack, root), *effective.lines(args.stack, args.key, root)]
    except (stackfile.StackFileError, effective.KeyNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except LayerError as exc:
        for path, message, origin in exc.problems:
            print(f"error: {path}: {message}" + (f" [{origin}]" if origin else ""), file=sys.stderr)
        return EXIT_INVALID
    print("\n".join(out))
    return EXIT_OK


def _esc_files(args: argparse.Namespace, stacks: list[str]) -> Optional[str]:
    """Record ``--esc-file [STACK=]FILE`` for the renders; the problem, if any."""
    given = getattr(args, "esc_file", None) or []
    by_stack: dict[str, list[str]] = {}
    for item in given:
        stack, sep, file = item.rpartition("=")
        if not sep:
            if len(stacks) != 1:
                return f"--esc-file {item}: with several stacks, say which one it is for: --esc-file STACK={item}"
            stack, file = stacks[0], item
        if not Path(file).is_file():
            return f"--esc-file {item}: no such file"
        by_stack.setdefault(stack, []).append(str(Path(file).resolve()))
    if by_stack:
        from .render.stackfile import ESC_FILES

        os.environ[ESC_FILES] = json.dumps(by_stack)
    return None


def cmd_docs(args: argparse.Namespace) -> int:
    """The config reference and the alert runbooks, generated from the code."""
    from .alerts.runbooks import runbook_files
    from .config.reference import reference_markdown

    path = Path(args.out)
    runbooks = path.parent / "runbooks"
    wanted = {path: reference_markdown(), **{runbooks / name: text for name, text in runbook_files().items()}}
    if args.check:
        stale = sorted(str(p) for p, text in wanted.items() if not p.is_file() or p.read_text() != text)
        stale += sorted(str(p) for p in runbooks.glob("*.md") if p not in wanted)
        if stale:
            print(f"error: out of date: {', '.join(stale)}; run `infermon docs`", file=sys.stderr)
            return EXIT_FAILED
        print(f"{path} and {len(wanted) - 1} runbooks are up to date")
        return EXIT_OK
    runbooks.mkdir(parents=True, exist_ok=True)
    for p in runbooks.glob("*.md"):
        if p not in wanted:
            p.unlink()
    for p, text in wanted.items():
        p.write_text(text)
    print(f"wrote {path} and {len(wanted) - 1} runbooks in {runbooks}")
    return EXIT_OK


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of processes (1 or more)")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infermon", description="Observability of an ML inference fleet, declared with Pulumi.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="render a stack offline under the Pulumi mock engine, write and validate the output")
    r.add_argument("--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml) or 'all' (default: dev)")
    r.add_argument("--out", default=None, help="output directory (default: out/<stack>; with --stack all, DIR/<stack>)")
    r.add_argument("--project-dir", default=None, help="directory holding stacks/ (default: this checkout)")
    r.add_argument("--config-of", default=None, metavar="STACK", help="render --stack as it would be with STACK's configuration "
                   "(what `diff --against` compares)")
    r.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N", help="with --stack all, render in up to N processes "
                   "(default: one per core; 1: one stack after another in this process)")
    r.set_defaults(func=cmd_render)

    c = sub.add_parser("check", help="run the CrossGuard policy rules on the offline render (like pulumi preview --policy-pack)")
    c.add_argument("--stack", default="dev", help="stack name or 'all' (default: dev)")
    c.add_argument("--project-dir", default=None, help="directory holding stacks/ (default: this checkout)")
    c.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N", help="with --stack all, check in up to N processes "
                   "(default: one per core; 1: one stack after another in this process)")
    c.set_defaults(func=cmd_check)

    df = sub.add_parser("diff", help="Markdown preview diff between GIT_REF and the working tree, for a PR comment; or, with "
                        "--against, between two stacks (a promotion review)")
    df.add_argument("--base", default=None, help="git ref to compare against (e.g. origin/main, HEAD~1)")
    df.add_argument("--against", default=None, metavar="TARGET", help="show what would change in stack TARGET if it had --stack's "
                    "configuration (e.g. --stack staging --against prod)")
    df.add_argument("--stack", default="all", help="stack name or 'all' (default: all)")
    df.add_argument("--all-stacks", dest="stack", action="store_const", const="all", help="same as --stack all")
    df.add_argument("--project-dir", default=None, help="the git checkout (default: this one)")
    df.add_argument("--out", default=None, help="write the Markdown to this file as well as stdout")
    df.set_defaults(func=cmd_diff)

    v = sub.add_parser("verify", help="run the rendered stack against a real Prometheus and simulated servers on loopback; "
                       "with --live, check the deployed stack on its running Prometheus")
    v.add_argument("--stack", default="dev", help="stack name or 'all' (default: dev; --live: one stack)")
    v.add_argument("--json", default=None, help="also write the report as JSON to this file")
    v.add_argument("--markdown", default=None, help="also write the report as Markdown (for a PR or a ticket) to this file")
    v.add_argument("--live", action="store_true", help="ask the running Prometheus at --prometheus-url instead of simulating")
    v.add_argument("--prometheus-url", default=None, help="the deployed Prometheus, e.g. http://127.0.0.1:9090 (port-forward) "
                   "or https://prometheus.example.com (ingress)")
    v.add_argument("--bearer-token-file", default=None, help="--live: file holding a bearer token for the Prometheus or its ingress")
    v.add_argument("--basic-auth-file", default=None, help="--live: file holding `user:password` for the Prometheus or its ingress")
    v.add_argument("--ca-file", default=None, help="--live: PEM file of the CA that signed the Prometheus' certificate")
    v.add_argument("--project-dir", default=None, help="directory holding stacks/ (default: this checkout)")
    v.set_defaults(func=cmd_verify)

    cf = sub.add_parser("config", help="print a stack's effective configuration, each value with the file and line it came from")
    cf.add_argument("--stack", default="dev", help="stack name (default: dev)")
    cf.add_argument("key", nargs="?", default=None, help="only this key and what is under it, e.g. alerts.thresholds or "
                    "inference[chat-vllm] (a list item by name or index)")
    cf.add_argument("--flat", action="store_true", help="print the stack as one complete stack file, shared files merged in")
    cf.add_argument("--project-dir", default=None, help="directory holding stacks/ (default: this checkout)")
    cf.set_defaults(func=cmd_config)

    for sp in (r, c, df, v, cf):
        sp.add_argument("--esc-file", action="append", metavar="[STACK=]FILE",
                        help="values of the stack's Pulumi ESC environment: the JSON of `esc env open <org>/<project>/<env>` "
                        "(repeat in import order; STACK= names the stack when several are rendered)")

    d = sub.add_parser("docs", help="generate the config reference from the typed model")
    d.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "config-reference.md"))
    d.add_argument("--check", action="store_true", help="fail when the file is not up to date")
    d.set_defaults(func=cmd_docs)
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "esc_file", None):
        stacks = [s for s in (getattr(args, "stack", None), getattr(args, "against", None)) if s and s != "all"]
        if problem := _esc_files(args, stacks):
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_INVALID
    try:
        return args.func(args)
    except OSError as exc:  # a file or directory the user named: one line, no traceback
        print(f"error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID


def exit_now(code: int) -> NoReturn:
    """Exit without freeing the interpreter's objects one by one: after a large render that teardown
    took 0.7 s (400 services) of the command's time and produced nothing. Exit handlers still run and
    the output is flushed first."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a reader that went away (`| head`), a closed stream
            pass
    os._exit(code)


def run() -> NoReturn:
    """The ``infermon`` command."""
    exit_now(main())


if __name__ == "__main__":
    run()
