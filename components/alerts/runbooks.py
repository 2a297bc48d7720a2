"""What each alert means and the first thing to check: the text behind every ``runbook_url``.

``infermon docs`` writes ``docs/runbooks/<alertname-lowercase>.md`` from this table; a test
keeps one entry per alert and the files current.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Runbook:
    meaning: str
    first_check: str


RUNBOOKS: dict[str, Runbook] = {
    "MLServerHighInferenceLatency": Runbook(
        "A model served by MLServer takes longer than the threshold per inference on average.",
        "The MLServer dashboard's queue size and in-progress panels: a growing queue means too few workers "
        "(`parallel_workers`) or replicas; a flat queue with slow inferences means the model itself got slower "
        "(a new version, a larger input, a GPU shared with another pod: see the GPU fleet dashboard)."),
    "MLServerLowSuccessRatio": Runbook(
        "Too many inferences fail (model_infer_request_failure_total against success_total).",
        "The pod's logs for the exception the model raises, and whether a new model version or a changed "
        "request schema was rolled out at the time the ratio dropped."),
    "MLServerQueueBacklog": Runbook(
        "Requests find, on average, more than the threshold of others already queued for a worker.",
        "Scale out (replicas or `parallel_workers`) or look for a slow model on the latency panels; a queue "
        "that grows while throughput is flat means the workers are stuck."),
    "MLServerNotReady": Runbook(
        "MLServer answers its readiness endpoint with a status other than 200: a model failed to load or unloaded.",
        "The pod's logs around model loading (missing artefacts, out of memory) and the model repository's state."),
    "TritonHighFailureRatio": Runbook(
        "Too many Triton inference requests fail (nv_inference_request_failure by reason).",
        "The Triton dashboard's failures by reason: BACKEND points at the model or its backend, REJECTED at "
        "queue policy limits, CANCELED at clients giving up; then the server log for the model."),
    "TritonHighQueueTime": Runbook(
        "Requests wait longer than the threshold in Triton's scheduler queue before they execute.",
        "Batching and pending requests on the Triton dashboard: add model instances (`instance_group`) or "
        "replicas, or tune the dynamic batcher's `max_queue_delay_microseconds`."),
    "TritonPendingRequestsGrowing": Runbook(
        "The number of requests Triton has received but not executed keeps growing.",
        "Whether execution stalled (compute time per request, GPU utilisation) or traffic outgrew capacity "
        "(request rate); restart a stuck instance, add instances or replicas."),
    "TritonPendingRequestsHigh": Runbook(
        "Triton has held more than the threshold of pending requests for 15 minutes: a steady backlog.",
        "Capacity against traffic on the Triton dashboard; a backlog that neither grows nor drains means "
        "the model runs at its limit: add instances or replicas."),
    "LLMHighTimeToFirstToken": Runbook(
        "The 95th percentile time to first token of an LLM runtime is above the threshold.",
        "Waiting requests and KV-cache use on the LLM runtime dashboard: queueing (requests waiting, "
        "preemptions) means the runtime is saturated; long prompts (prompt length panel) make prefill slow."),
    "LLMHighE2ELatency": Runbook(
        "The 95th percentile end-to-end latency of an LLM runtime is above the threshold.",
        "Time to first token against time per output token: the first points at queueing or prefill, the "
        "second at decode speed (batch size, KV-cache pressure, a slower GPU)."),
    "LLMHighErrorRatio": Runbook(
        "More than the threshold of an LLM runtime's requests ended with an internal error: on vLLM, finished requests "
        "with finished_reason=error (answered HTTP 500); on SGLang, HTTP 5xx responses of its API (sglang:http_responses_total, "
        "without /metrics and health checks). Client aborts do not count.",
        "The runtime's logs for the exception (engine errors, out-of-memory, a failing model or adapter) and "
        "whether a rollout or a new model coincides with the start."),
    "LLMHighInterTokenLatency": Runbook(
        "The p95 time between two output tokens is above the threshold: streamed answers visibly stutter.",
        "Running requests and KV-cache use on the LLM runtime dashboard: a batch grown too large or preemptions slow "
        "every decode step (lower `max_num_seqs`, add replicas); otherwise the GPU (throttling, a shared GPU) on the GPU fleet dashboard."),
    "TritonGPUUtilizationHigh": Runbook(
        "A GPU serving Triton has been busier than the threshold for 30 minutes: requests will start to queue.",
        "Queue time and pending requests on the Triton dashboard: if they rise, add model instances (instance_group) on idle GPUs "
        "or replicas; if not, the GPU is well used and only headroom is short."),
    "TritonCPUMemoryHigh": Runbook(
        "Triton uses more than the threshold of the memory it can see: the next model load or a large batch can get it OOM-killed.",
        "Which models are loaded (the model repository, explicit model control) and the container's memory limit on the "
        "containers dashboard; unload unused models or raise the limit."),
    "LLMRequestsWaiting": Runbook(
        "More requests than the threshold wait to be scheduled by an LLM runtime.",
        "KV-cache use and preemptions: a full cache stops new requests from being scheduled; scale replicas "
        "or lower `max_num_seqs` / context length."),
    "LLMKVCacheNearFull": Runbook(
        "An LLM runtime's KV cache is nearly full: new requests wait and running ones get preempted.",
        "Running and waiting requests per instance, and the prompt and generation length panels: long "
        "contexts fill the cache; add replicas or raise `gpu_memory_utilization` where memory allows."),
    "LLMPreemptions": Runbook(
        "vLLM preempts running requests to free KV-cache blocks, recomputing them later.",
        "KV-cache use: preemptions follow a full cache; reduce concurrency or context length, or add replicas."),
    "LLMGatewayHighErrorRatio": Runbook(
        "Too many requests through the Arks gateway are answered with a non-2xx status.",
        "Requests by status on the LLM gateway dashboard: 429s are rate limits and quotas, 5xx the runtimes "
        "behind the gateway (their own dashboards), 4xx the clients."),
    "LLMGatewayRateLimitSurge": Runbook(
        "Requests hit the gateway's rate limits at more than the threshold per second.",
        "Which user and model hit which limit (rule_type): a client in a retry loop, or limits set below real demand."),
    "LLMGatewayQuotaNearLimit": Runbook(
        "A quota configured on the Arks gateway is nearly used up; requests beyond it are refused.",
        "The quota's owner and its usage trend; raise the quota or warn its users before it runs out."),
    "DatabricksHighErrorRatio": Runbook(
        "More than the threshold of a Databricks serving endpoint's requests in the last minute got a 5xx "
        "(evaluated from 10 requests a minute on).",
        "The endpoint's events and logs in the Databricks workspace (Serving > endpoint > Logs/Events): "
        "container crashes, out-of-memory, scale-from-zero timeouts."),
    "DatabricksHighP99Latency": Runbook(
        "The 99th percentile latency of a Databricks serving endpoint in the last minute is above the threshold.",
        "Provisioned concurrency and CPU/GPU use on the managed endpoints dashboard: saturation asks for more "
        "concurrency; otherwise the model or its dependencies got slower."),
    "GPUXidError": Runbook(
        "A GPU reported a new XID outside the application class: a GPU, memory, NVLink or driver fault.",
        "Look the XID up in NVIDIA's XID catalogue for its immediate action; most ask to drain the node and "
        "reset the GPU (79: fallen off the bus, 48/94/95: ECC, 74: NVLink, 119/120: GSP). Check the node's kernel log."),
    "GPUXidApplicationError": Runbook(
        "A process on the GPU hit an application-class XID (13, 31, 43, 45): usually a fault of the program, not the GPU.",
        "The serving pod on that GPU (GPU fleet dashboard, by pod): its logs and restarts; recurring XIDs "
        "across pods on one GPU point at the GPU after all."),
    "GPUTemperatureHigh": Runbook(
        "A GPU runs hotter than the threshold; above its slowdown temperature it throttles.",
        "The node's cooling (fans, airflow, the rack's other GPUs) and the clocks panel for throttling."),
    "GPUFramebufferNearFull": Runbook(
        "A GPU's memory is nearly full: allocations will fail with out-of-memory.",
        "Which pod holds the GPU (GPU fleet dashboard) and its memory settings (e.g. vLLM's "
        "`gpu_memory_utilization`); another process sharing the GPU is a common cause."),
    "GPURowRemapFailure": Runbook(
        "A GPU failed to remap a faulty memory row: its memory can no longer be trusted.",
        "Drain the node and send the GPU for service (NVIDIA's row-remapping guidance)."),
    "GPUUncorrectableRowRemap": Runbook(
        "A GPU remapped a memory row after an uncorrectable ECC error; the remap takes effect at the next GPU reset.",
        "Drain the node and reset the GPU at a convenient time; repeated remaps on one GPU mean it needs service."),
    "GPUThermalThrottling": Runbook(
        "A GPU ran with its clocks held down by temperature for more than the threshold share of the time "
        "(DCGM_FI_DEV_THERMAL_VIOLATION): everything on it runs slower.",
        "GPU and memory temperature on the GPU fleet dashboard, then the node's cooling (fans, airflow, a failed PSU fan); "
        "several GPUs of one node throttling at once point at the chassis."),
    "GPUPowerThrottling": Runbook(
        "A GPU ran power-capped for more than the threshold share of the time (DCGM_FI_DEV_POWER_VIOLATION). Under a full "
        "load this is expected; on a lightly loaded GPU it means the power limit is set low.",
        "`nvidia-smi -q -d POWER` on the node: compare the enforced power limit with the default; a lowered limit "
        "(by an admin or a data-centre power policy) slows inference."),
    "GPUDoubleBitECCErrors": Runbook(
        "A GPU reported uncorrectable (double-bit) ECC memory errors in the last hour; the process that hit them crashed (XID 48).",
        "Drain the node and reset the GPU; check row remapping (GPUUncorrectableRowRemap / GPURowRemapFailure) and send the GPU "
        "for service if errors repeat after the reset."),
    "GPUNVLinkErrors": Runbook(
        "A GPU counted more NVLink CRC, replay or recovery errors in 15 minutes than the threshold: a degraded link slows "
        "tensor-parallel inference and can end in XID 74.",
        "`nvidia-smi nvlink -e` on the node for the link and error type; recovery errors on one link mean a reseat or "
        "service of the baseboard or NVSwitch tray."),
    "GPUPCIeReplays": Runbook(
        "A GPU retries PCIe transfers faster than the threshold (DCGM_FI_DEV_PCIE_REPLAY_COUNTER): a marginal link or riser.",
        "`nvidia-smi -q` for the current vs maximum PCIe link generation and width; a downgraded link or replays on one slot "
        "mean reseating or servicing the GPU or riser before it ends in XID 79."),
    "GPUAllocatedButIdle": Runbook(
        "A GPU allocated to a pod has been almost unused for two hours: capacity paid for and wasted.",
        "Whether the workload still needs a GPU (a stuck job, a service without traffic) and scale it to zero or down."),
    "InfermonTargetDown": Runbook(
        "Prometheus cannot scrape a target of the service (or a DCGM exporter): its metrics and alerts are blind.",
        "The target's error on Prometheus' Targets page (connection refused, TLS, 401/403, wrong Content-Type); "
        "then whether the workload runs and its metrics port and path match the stack's config."),
    "InfermonTargetMissing": Runbook(
        "Prometheus has no scrape target at all for the service (or for a GPU pool's DCGM exporters): there is no `up` series, "
        "so InfermonTargetDown cannot fire, and every panel and alert of it is empty.",
        "`infermon verify --live` names why (\"selects nothing: no Service in namespace … matches …\", a port that is not "
        "exposed, a monitor Prometheus never loaded); otherwise whether the workload has ready pods, and for a GPU pool "
        "whether the exporter DaemonSet schedules on its nodes (node selector, tolerations)."),
    "InfermonScrapesFailing": Runbook(
        "More than one scrape in ten of a target failed over 15 minutes, while some still succeed.",
        "Scrape duration against the timeout, and the target's load: a slow or overloaded metrics endpoint."),
    "SLOAvailabilityBurnRate": Runbook(
        "The service's errors consume its 30-day error budget fast (critical: gone in under two days) or "
        "steadily (warning: in under a month).",
        "The service's error panels (error ratio by cause) for when it started and what changed at that time "
        "(a rollout, a dependency, traffic)."),
    "SLOLatencyBurnRate": Runbook(
        "Too many requests are slower than the service's latency objective, consuming its error budget.",
        "The latency panels and saturation (queueing, KV cache, GPU use) for the time the burn started."),
}


def runbook_markdown(name: str) -> str:
    from .specs import BY_NAME

    rb = RUNBOOKS[name]
    spec = BY_NAME.get(name)
    lines = [f"# {name}", "", "Generated from `components/alerts/runbooks.py` by `infermon docs`; do not edit by hand.", ""]
    if spec:
        lines += [f"Severity **{spec.severity}**; default threshold `{spec.op} {spec.threshold:g}` "
                  f"(`alerts.thresholds.{name}`, or per service); dashboard `{spec.dashboard}`.", ""]
    lines += ["## What it means", "", rb.meaning, "", "## First thing to check", "", rb.first_check, ""]
    return "\n".join(lines)


def runbook_files() -> dict[str, str]:
    """``docs/runbooks/<alertname-lowercase>.md`` -> content, for every alert."""
    return {f"{name.lower()}.md": runbook_markdown(name) for name in sorted(RUNBOOKS)}
