"""Many environments: Pulumi's own config layering honoured offline, shared fleet files merged by
the program itself (so `pulumi up` and the render agree), provenance, promotion review."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from components.config import ConfigError
from components.config import layers
from components.config.sources import load
from components.render import engine, render, stackfile

PROJECT = "name: infermon\nruntime: python\nstackConfigDir: stacks\n"

FLEET = {
    "infermon:alerts": {"team": "platform", "runbookBaseUrl": "https://runbooks.example.com/inference"},
    "infermon:prometheus": {"retention": "15d", "scrapeInterval": "30s"},
    "infermon:inference": [
        {"name": "triton", "kind": "triton", "team": "vision", "staticTargets": ["triton.serving.svc.cluster.local:8002"]},
        {"name": "chat", "kind": "vllm", "team": "llm", "namespace": "llm", "selector": {"app.kubernetes.io/name": "vllm"}},
        {"name": "code", "kind": "vllm", "team": "llm", "namespace": "llm", "selector": {"app.kubernetes.io/name": "code"}},
    ],
    "infermon:gpuPools": [{"name": "l4", "gpuModel": "L4", "nodeSelector": {"pool": "l4"}}],
}


def project(tmp_path: Path, files: dict[str, Any], pulumi_yaml: str = PROJECT) -> Path:
    """A project directory: Pulumi.yaml and the given files (dicts dumped as YAML, str as is)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return tmp_path


def stack_doc(**config: Any) -> dict:
    return {"config": {(k if ":" in k else f"infermon:{k}"): v for k, v in config.items()}}


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "components", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def rules(r: render.Rendered) -> dict[str, dict]:
    """Every rule of the render by (group, alert or record, service label or expression)."""
    out = {}
    for rel, text in r.files.items():
        if rel.startswith("prometheus/rules/"):
            for group in yaml.safe_load(text)["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule.get("record")
                    out[(group["name"], name, rule.get("labels", {}).get("service", ""), rule["expr"])] = rule
    return out


# --- Pulumi's own precedence (sdk/go/common/workspace/config.go mergeConfig; project.go) ---------------------------


def test_project_config_applies_to_a_stack_that_does_not_set_the_key(tmp_path):
    """The issue's repro: project-level `infermon:alerts` reaches the rules as `pulumi up` would apply it."""
    triton = {k: v for k, v in FLEET["infermon:inference"][0].items() if k != "team"}
    root = project(tmp_path, {"stacks/Pulumi.dev.yaml": stack_doc(cluster={"name": "c1"}, inference=[triton])},
                   PROJECT + "config:\n  infermon:alerts:\n    value:\n      team: platform-sre\n")
    r = render.build("dev", root)
    teams = {rule.get("labels", {}).get("team") for rule in rules(r).values() if "alert" in rule}
    assert teams == {"platform-sre"}


def test_a_stack_value_replaces_the_project_object_whole(tmp_path):
    """Pulumi does not merge a stack object into the project's: keys only the project set are gone."""
    root = project(tmp_path, {"stacks/Pulumi.dev.yaml": stack_doc(cluster={"name": "c1"}, alerts={"team": "stack-team"})},
                   PROJECT + "config:\n  infermon:alerts:\n    value:\n      team: platform-sre\n"
                   "      runbookBaseUrl: https://project.example.com/rb\n")
    sf = stackfile.read("dev", root)
    assert sf.config["alerts"] == {"team": "stack-team"}
    r = render.build("dev", root)
    assert "project.example.com" not in "".join(t for k, t in r.files.items() if k.startswith("prometheus/rules/"))


def test_an_unnamespaced_project_key_is_the_projects_and_a_bare_scalar_is_its_default(tmp_path):
    """`alerts:` (no namespace) is `infermon:alerts`; a bare scalar on a project key is its
    default (RewriteShorthandConfigValues), here `extends`, so every stack builds on the fleet."""
    root = project(tmp_path, {"stacks/shared/fleet.yaml": {"config": FLEET},
                              "stacks/Pulumi.dev.yaml": stack_doc(cluster={"name": "c1"})},
                   PROJECT + "config:\n  extends: shared/fleet.yaml\n  alerts:\n    default:\n      team: from-project\n"
                   "  kubernetes:context: dev-cluster\n")
    sf = stackfile.read("dev", root)
    assert sf.config["extends"] == "shared/fleet.yaml"
    assert sf.config["alerts"] == {"team": "from-project"}
    assert sf.other == {"kubernetes:context": "dev-cluster"}  # another namespace's shorthand is its value
    r = render.build("dev", root)
    assert [s.name for s in r.loaded.config.inference] == ["triton", "chat", "code"]
    # the project's alerts object (what Pulumi hands over) merges over the shared file's
    assert r.loaded.config.alerts.team == "from-project"
    assert r.loaded.config.alerts.runbook_base_url == "https://runbooks.example.com/inference"


@pytest.mark.parametrize("config, message", [
    ("  infermon:alerts:\n    value: {team: a}\n    default: {team: b}\n", "cannot have both a 'default' and 'value'"),
    ("  kubernetes:context:\n    default: x\n", "not namespaced by the project"),
    ("  infermon:alerts:\n    team: a\n", "unknown attribute 'team'"),
    ("  infermon:region:\n    type: string\n", "is missing configuration value 'infermon:region'"),
])
def test_project_config_pulumi_would_refuse_is_refused(tmp_path, config, message):
    root = project(tmp_path, {"stacks/Pulumi.dev.yaml": stack_doc(cluster={"name": "c1"})}, PROJECT + "config:\n" + config)
    proc = run_cli("render", "--stack", "dev", "--project-dir", str(root), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_stack_with_an_esc_environment_needs_its_values(tmp_path):
    doc = stack_doc(cluster={"name": "c1"}, alerts={"team": "stack-team"})
    doc["environment"] = ["inference/prod-shared"]
    root = project(tmp_path, {"stacks/Pulumi.prod.yaml": doc})
    proc = run_cli("render", "--stack", "prod", "--project-dir", str(root), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "inference/prod-shared" in proc.stderr and "esc env open" in proc.stderr and "--esc-file" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_esc_values_merge_beneath_the_stack_as_a_json_merge_patch_and_esc_secrets_stay_secret(tmp_path):
    doc = stack_doc(cluster={"name": "c1"}, alerts={"team": "stack-team"},
                    datadog={"enabled": True, "agent": "existing", "apiKeySecret": "ddApi", "appKeySecret": "ddApp"})
    doc["environment"] = ["inference/prod-shared"]
    root = project(tmp_path, {"stacks/Pulumi.prod.yaml": doc})
    esc = tmp_path / "env.json"
    esc.write_text(json.dumps({"environmentVariables": {}, "pulumiConfig": {
        "infermon:alerts": {"team": "esc-team", "runbookBaseUrl": "https://esc.example.com/rb"},
        "infermon:ddApi": "CANARY-esc-api-5e1f", "ddApp": "CANARY-esc-app-0c9d"}}))
    out = tmp_path / "out"
    proc = run_cli("render", "--stack", "prod", "--project-dir", str(root), "--out", str(out), "--esc-file", str(esc))
    assert proc.returncode == 0, proc.stderr
    sf = stackfile.read("prod", root, esc_files=[esc])
    assert sf.config["alerts"] == {"team": "stack-team", "runbookBaseUrl": "https://esc.example.com/rb"}
    assert {"ddApi", "ddApp"} <= set(sf.secret_keys)
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "CANARY" not in written + proc.stdout + proc.stderr


def test_merge_patch_is_rfc_7386():
    assert stackfile.merge_patch({"a": {"b": 1, "c": 2}, "d": [1, 2]}, {"a": {"b": None, "e": 3}, "d": [3]}) == {"a": {"c": 2, "e": 3}, "d": [3]}


# --- the program's shared files ---------------------------------------------------------------------------------


def merged(base: Any, over: Any) -> Any:
    problems: list = []
    node = layers.merge(load(yaml.safe_dump(base), "base.yaml"), load(yaml.safe_dump(over), "over.yaml"), [], problems)
    assert not problems, problems
    return node.plain()


def test_maps_merge_deeply_and_null_removes_an_inherited_key():
    assert merged({"a": {"b": 1, "c": {"d": 2}}, "x": 1}, {"a": {"c": {"e": 3}}, "x": None}) == {"a": {"b": 1, "c": {"d": 2, "e": 3}}}


def test_named_lists_merge_by_name_keep_order_append_new_and_remove_explicitly():
    base = {"inference": [{"name": "a", "kind": "triton", "port": 1}, {"name": "b", "kind": "vllm"}, {"name": "c", "kind": "sglang"}]}
    over = {"inference": [{"name": "c", "port": 9}, {"name": "d", "kind": "generic"}, {"name": "a", "$remove": True}]}
    assert merged(base, over) == {"inference": [{"name": "b", "kind": "vllm"}, {"name": "c", "kind": "sglang", "port": 9},
                                                {"name": "d", "kind": "generic"}]}


def test_other_lists_replace_whole():
    base = {"routes": [{"receiver": "a"}, {"receiver": "b"}], "notify": ["@x", "@y"]}
    assert merged(base, {"routes": [{"receiver": "c"}], "notify": ["@z"]}) == {"routes": [{"receiver": "c"}], "notify": ["@z"]}


@pytest.mark.parametrize("over, message", [
    ({"inference": [{"name": "zz", "$remove": True}]}, "removes 'zz', which is not inherited (inherited: a)"),
    ({"inference": [{"name": "a", "$remove": True, "port": 1}]}, "give only name and $remove"),
    ({"inference": [{"name": "a", "$remove": "yes"}]}, "only `$remove: true`"),
])
def test_a_removal_that_removes_nothing_is_an_error(over, message):
    problems: list = []
    layers.merge(load(yaml.safe_dump({"inference": [{"name": "a"}]}), "b.yaml"), load(yaml.safe_dump(over), "o.yaml"), [], problems)
    assert len(problems) == 1 and message in problems[0][1]
    assert str(problems[0][2]).startswith("o.yaml:")


def thin_project(tmp_path: Path, dev_extra: dict | None = None, prod_extra: dict | None = None) -> Path:
    prod = {"prometheus": {"retention": "30d", "replicas": 2},
            "inference": [{"name": "chat", "alerts": {"LLMHighTimeToFirstToken": 1.5}}, {"name": "code", "$remove": True}]}
    return project(tmp_path, {
        "stacks/shared/fleet.yaml": {"config": FLEET},
        "stacks/Pulumi.dev.yaml": stack_doc(extends=["shared/fleet.yaml"], cluster={"name": "dev-1"}, **(dev_extra or {})),
        "stacks/Pulumi.prod.yaml": stack_doc(extends=["shared/fleet.yaml"], cluster={"name": "prod-1", "platform": "eks"},
                                             **{**prod, **(prod_extra or {})}),
    })


def test_a_shared_file_and_two_thin_stacks_render_byte_identical_to_complete_stack_files(tmp_path):
    thin = thin_project(tmp_path / "thin")
    complete = project(tmp_path / "complete", {
        "stacks/Pulumi.dev.yaml": stack_doc(cluster={"name": "dev-1"}, **{k.split(":")[1]: v for k, v in FLEET.items()}),
        "stacks/Pulumi.prod.yaml": stack_doc(
            cluster={"name": "prod-1", "platform": "eks"}, alerts=FLEET["infermon:alerts"], gpuPools=FLEET["infermon:gpuPools"],
            prometheus={"retention": "30d", "scrapeInterval": "30s", "replicas": 2},
            inference=[FLEET["infermon:inference"][0], {**FLEET["infermon:inference"][1], "alerts": {"LLMHighTimeToFirstToken": 1.5}}]),
    })
    for stack in ("dev", "prod"):
        a, b = render.build(stack, thin), render.build(stack, complete)
        assert a.files == b.files, stack
    prod = render.build("prod", thin)
    assert [s.name for s in prod.loaded.config.inference] == ["triton", "chat"]
    assert prod.config_sources == ["stacks/Pulumi.prod.yaml", "over stacks/shared/fleet.yaml"]  # the summary's Config line


def test_an_override_of_one_services_threshold_touches_only_that_services_rules(tmp_path):
    plain = render.build("dev", thin_project(tmp_path / "a"))
    tuned = render.build("dev", thin_project(tmp_path / "b", dev_extra={"inference": [{"name": "code", "alerts": {"LLMHighTimeToFirstToken": 4}}]}))
    before, after = rules(plain), rules(tuned)
    changed = set(before) ^ set(after)
    assert changed, "the override changed no rule"
    assert all('service="code"' in expr or service == "code" for _, _, service, expr in changed), sorted(changed)


def test_a_bad_value_in_a_shared_file_names_that_file_line_and_the_stacks_inheriting_it(tmp_path):
    root = thin_project(tmp_path)
    fleet = (root / "stacks/shared/fleet.yaml").read_text().replace("kind: sglang", "kind: sglang").replace("kind: vllm\n", "kind: vlm\n", 1)
    (root / "stacks/shared/fleet.yaml").write_text(fleet)
    line = next(i for i, text in enumerate(fleet.splitlines(), 1) if "kind: vlm" in text)
    with pytest.raises(ConfigError) as exc:
        render.build("dev", root)
    assert f"inference[1].kind: 'vlm' is not one of" in str(exc.value)
    assert f"[stacks/shared/fleet.yaml:{line}, inherited by dev, prod]" in str(exc.value)


def test_a_bad_value_in_a_stack_file_names_its_line(tmp_path):
    root = thin_project(tmp_path, prod_extra={"prometheus": {"retention": "30d", "replicas": 0}})
    text = (root / "stacks/Pulumi.prod.yaml").read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "replicas: 0" in t)
    with pytest.raises(ConfigError, match=rf"prometheus\.replicas: .*\[stacks/Pulumi\.prod\.yaml:{line}\]"):
        render.build("prod", root)


def test_a_name_given_twice_in_one_file_is_reported_not_merged(tmp_path):
    twice = {"config": {**FLEET, "infermon:inference": FLEET["infermon:inference"] + [FLEET["infermon:inference"][0]]}}
    root = project(tmp_path, {"stacks/shared/fleet.yaml": twice,
                              "stacks/Pulumi.dev.yaml": stack_doc(extends=["shared/fleet.yaml"], cluster={"name": "c"})})
    with pytest.raises(ConfigError, match=r"inference\[3\]\.name: duplicate inference service name 'triton' \(also inference\[0\]\) "
                       r"\[stacks/shared/fleet.yaml:\d+, inherited by dev\]"):
        render.build("dev", root)


@pytest.mark.parametrize("fleet_text, message", [
    ("config:\n  infermon:datadogApiKey:\n    secure: v1:abc\n", "holds a secret"),
    ("config:\n  kubernetes:context: x\n", "is not an infermon: key"),
    ("config:\n  infermon:extends: [shared/fleet.yaml]\n", "cycle: stacks/shared/fleet.yaml → stacks/shared/fleet.yaml"),
    ("inference: []\n", "holds one `config:` mapping"),
])
def test_a_shared_file_that_cannot_be_shared_is_refused(tmp_path, fleet_text, message):
    root = project(tmp_path, {"stacks/shared/fleet.yaml": fleet_text,
                              "stacks/Pulumi.dev.yaml": stack_doc(extends=["shared/fleet.yaml"], cluster={"name": "c"})})
    with pytest.raises(ConfigError, match="stacks/shared/fleet.yaml") as exc:
        render.build("dev", root)
    assert message in str(exc.value)


@pytest.mark.parametrize("extends, message", [
    (["../../etc/passwd.yaml"], "is not inside the stacks directory"),
    (["shared/missing.yaml"], "does not exist under stacks (shared files there: stacks/shared/fleet.yaml)"),
    (["Pulumi.prod.yaml"], "is a stack file"),
    ({"a": 1}, "is not a list of shared files"),
])
def test_extends_names_shared_files_inside_the_stacks_directory(tmp_path, extends, message):
    root = project(tmp_path, {"stacks/shared/fleet.yaml": {"config": FLEET},
                              "stacks/Pulumi.prod.yaml": stack_doc(cluster={"name": "p"}),
                              "stacks/Pulumi.dev.yaml": stack_doc(extends=extends, cluster={"name": "c"})})
    with pytest.raises(ConfigError) as exc:
        render.build("dev", root)
    assert message in str(exc.value) and "[stacks/Pulumi.dev.yaml:" in str(exc.value)


def test_pulumi_up_reads_the_shared_files_from_its_working_directory(tmp_path, monkeypatch):
    """Under the CLI the program runs in the project directory with only the engine's config:
    no render sets the project, and the shared services are still declared."""
    root = thin_project(tmp_path)
    sf = stackfile.read("dev", root)
    monkeypatch.chdir(root)
    run = engine.run("dev", sf.config, sf.secret_keys)
    monitors = sorted(r.name for r in run.registrations if r.type.endswith("ServiceMonitor"))
    assert any("chat" in n for n in monitors) and any("code" in n for n in monitors), monitors


# --- provenance and promotion review ----------------------------------------------------------------------------


def test_config_prints_each_effective_value_with_its_file_and_line(tmp_path):
    root = thin_project(tmp_path)
    proc = run_cli("config", "--stack", "prod", "--project-dir", str(root))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "# stack prod: stacks/Pulumi.prod.yaml, over stacks/shared/fleet.yaml"
    fleet = (root / "stacks/shared/fleet.yaml").read_text().splitlines()
    team_line = next(i for i, t in enumerate(fleet, 1) if "team: platform" in t)
    assert f'alerts.team: "platform"    # stacks/shared/fleet.yaml:{team_line}' in lines
    assert any(line.startswith("inference[chat].alerts.LLMHighTimeToFirstToken: 1.5    # stacks/Pulumi.prod.yaml:") for line in lines)
    assert not any(line.startswith("inference[code]") for line in lines)
    one = run_cli("config", "--stack", "prod", "inference[1].kind", "--project-dir", str(root))
    assert one.stdout.splitlines()[1:] == [f'inference[chat].kind: "vllm"    # stacks/shared/fleet.yaml:'
                                           f'{next(i for i, t in enumerate(fleet, 1) if "kind: vllm" in t)}']
    missing = run_cli("config", "--stack", "prod", "nope", "--project-dir", str(root))
    assert missing.returncode == 2 and "sets nothing at 'nope'" in missing.stderr


def test_config_never_shows_a_secret(tmp_path):
    proc = run_cli("config", "--stack", "prod")
    assert proc.returncode == 0, proc.stderr
    secret_lines = [line for line in proc.stdout.splitlines() if line.startswith("pagerdutyRoutingKey:")]
    assert secret_lines and secret_lines[0].startswith("pagerdutyRoutingKey: [secret]")
    assert "placeholder" not in proc.stdout


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_every_repository_stack_renders_as_its_flattened_complete_file(tmp_path, stack):
    """`config --flat` writes the stack as one complete file; both render the same bytes."""
    proc = run_cli("config", "--stack", stack, "--flat")
    assert proc.returncode == 0, proc.stderr
    flat = project(tmp_path, {f"stacks/Pulumi.{stack}.yaml": proc.stdout}, (ROOT / "Pulumi.yaml").read_text())
    assert "extends" not in yaml.safe_load(proc.stdout)["config"]
    assert render.build(stack, flat).files == render.build(stack).files


def test_diff_against_shows_what_prod_would_get_with_devs_config(tmp_path):
    root = thin_project(tmp_path)
    for name in ("components", "dashboards", "policies", "tools"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    proc = run_cli("diff", "--stack", "dev", "--against", "prod", "--project-dir", str(root), cwd=root)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "`prod` if it had `dev`'s configuration" in text
    assert "`\"30d\"` → `\"15d\"`" in text or "`30d` → `15d`" in text  # prometheus retention, old → new
    assert "LLMHighTimeToFirstToken" in text  # prod's tuned threshold on chat goes back to the default
    assert "code" in text  # the service prod removed comes back


def test_diff_against_needs_two_stacks_and_no_base():
    assert run_cli("diff", "--stack", "all", "--against", "prod").returncode == 2
    assert run_cli("diff", "--stack", "dev", "--against", "prod", "--base", "HEAD").returncode == 2
    assert run_cli("diff", "--stack", "dev").returncode == 2
