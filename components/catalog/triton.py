"""NVIDIA Triton Inference Server (metrics on :8002/metrics).

Checked against Triton's metrics documentation and sample output: counters have no
``_total`` suffix; ``nv_inference_request_failure`` carries a ``reason`` label (OTHER,
BACKEND, CANCELED, REJECTED) in current releases; the ``*_duration_us`` counters are
cumulative microseconds, so per-request time is rate(duration) / rate(success); the
average dynamic batch size is rate(nv_inference_count) / rate(nv_inference_exec_count).
Triton exports no latency distribution by default, so latency here is a mean.
"""

from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, rate_or_zero, rate_sum

M = ("model", "version")
GPU = ("gpu_uuid",)

METRICS = (
    Metric("nv_inference_request_success", "counter", "requests", "Successful inference requests, all batch sizes.", M),
    Metric("nv_inference_request_failure", "counter", "requests", "Failed inference requests, all batch sizes.", M + ("reason",)),
    Metric("nv_inference_count", "counter", "inferences", "Inferences performed (a request counts as its batch size).", M),
    Metric("nv_inference_exec_count", "counter", "executions", "Model executions performed.", M),
    Metric("nv_inference_request_duration_us", "counter", "microseconds", "Cumulative end-to-end inference request handling time.", M),
    Metric("nv_inference_queue_duration_us", "counter", "microseconds", "Cumulative time requests waited in the scheduling queue.", M),
    Metric("nv_inference_compute_input_duration_us", "counter", "microseconds", "Cumulative time processing inputs.", M),
    Metric("nv_inference_compute_infer_duration_us", "counter", "microseconds", "Cumulative time executing the model.", M),
    Metric("nv_inference_compute_output_duration_us", "counter", "microseconds", "Cumulative time processing outputs.", M),
    Metric("nv_inference_pending_request_count", "gauge", "requests", "Requests received and not yet executed.", M),
    Metric("nv_cache_num_hits_per_model", "counter", "requests", "Response-cache hits (models with the response cache enabled).", M),
    Metric("nv_cache_num_misses_per_model", "counter", "requests", "Response-cache misses (models with the response cache enabled).", M),
    Metric("nv_gpu_utilization", "gauge", "ratio", "GPU utilisation (0.0 - 1.0).", GPU),
    Metric("nv_gpu_memory_total_bytes", "gauge", "bytes", "Total GPU memory.", GPU),
    Metric("nv_gpu_memory_used_bytes", "gauge", "bytes", "Used GPU memory.", GPU),
    Metric("nv_gpu_power_usage", "gauge", "watts", "GPU instantaneous power draw.", GPU),
    Metric("nv_gpu_power_limit", "gauge", "watts", "GPU power limit.", GPU),
    Metric("nv_energy_consumption", "counter", "joules", "GPU energy consumed since Triton started.", GPU),
    Metric("nv_cpu_utilization", "gauge", "ratio", "CPU utilisation (0.0 - 1.0).", ()),
    Metric("nv_cpu_memory_total_bytes", "gauge", "bytes", "Total CPU memory.", ()),
    Metric("nv_cpu_memory_used_bytes", "gauge", "bytes", "Used CPU memory.", ()),
)

BY = "service, model, version"
LEG = "{{service}} {{model}}-{{version}}"


def _per_request(counter: str, by: str = BY) -> str:
    return f"sum by ({by}) (rate({{{{{counter}}}}}[{W}])) / " + nonzero(f"sum by ({by}) (rate({{{{nv_inference_request_success}}}}[{W}]))") + " / 1e6"


def _phase(name: str, counter: str, title: str, description: str) -> Signal:
    return Signal(name, title, (_per_request(counter),), "s", description, LEG)


SIGNALS = (
    Signal("request_rate", "Requests", (rate_sum("nv_inference_request_success", "nv_inference_request_failure", "service"),),
           "reqps", "Inference requests per second, successful and failed.", "{{service}}"),
    Signal("success_rate", "Successful requests", (f"sum by ({BY}) (rate({{{{nv_inference_request_success}}}}[{W}]))",),
           "reqps", "Successful inference requests per second.", LEG),
    Signal("failure_rate", "Failed requests by reason", (f"sum by ({BY}, reason) (rate({{{{nv_inference_request_failure}}}}[{W}]))",),
           "reqps", "Failed inference requests per second, by failure reason (OTHER, BACKEND, CANCELED, REJECTED).", LEG + " {{reason}}"),
    Signal("error_ratio", "Failure ratio",
           (rate_or_zero("nv_inference_request_failure", "nv_inference_request_success", "service") + " / "
            + nonzero(rate_sum("nv_inference_request_success", "nv_inference_request_failure", "service")),),
           "percentunit", "Failed requests as a share of all requests.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
    Signal("inference_rate", "Inferences", (f"sum by ({BY}) (rate({{{{nv_inference_count}}}}[{W}]))",),
           "ops", "Inferences per second (a batched request counts as its batch size).", LEG),
    Signal("execution_rate", "Executions", (f"sum by ({BY}) (rate({{{{nv_inference_exec_count}}}}[{W}]))",),
           "ops", "Model executions per second.", LEG),
    Signal("batch_ratio", "Average batch size",
           (f"sum by ({BY}) (rate({{{{nv_inference_count}}}}[{W}])) / sum by ({BY}) (rate({{{{nv_inference_exec_count}}}}[{W}]))",),
           "short", "Inferences per execution: the average dynamic batch size (1 means no batching).", LEG),
    Signal("pending_requests", "Pending requests", (f"sum by ({BY}) ({{{{nv_inference_pending_request_count}}}})",),
           "short", "Requests received by Triton and not yet executed.", LEG),
    _phase("queue_time", "nv_inference_queue_duration_us", "Queue time per request", "Mean time a request waited in the scheduler queue."),
    _phase("compute_input_time", "nv_inference_compute_input_duration_us", "Compute input time per request", "Mean time spent processing inputs."),
    _phase("compute_infer_time", "nv_inference_compute_infer_duration_us", "Compute infer time per request", "Mean time executing the model."),
    _phase("compute_output_time", "nv_inference_compute_output_duration_us", "Compute output time per request", "Mean time spent processing outputs."),
    Signal("compute_time", "Input + infer + output per request",
           (f"(sum by ({BY}) (rate({{{{nv_inference_compute_input_duration_us}}}}[{W}])) + sum by ({BY}) (rate({{{{nv_inference_compute_infer_duration_us}}}}[{W}])) + sum by ({BY}) (rate({{{{nv_inference_compute_output_duration_us}}}}[{W}]))) / sum by ({BY}) (rate({{{{nv_inference_request_success}}}}[{W}])) / 1e6",),
           "s", "Mean compute time per request: input processing, model execution and output processing together.", LEG),
    Signal("latency", "Mean request time", (_per_request("nv_inference_request_duration_us", "service"),),
           "s", "Mean end-to-end request handling time inside Triton (Triton exports no distribution by default).", "{{service}}"),
    _phase("request_time", "nv_inference_request_duration_us", "Request time per request",
           "Mean end-to-end time Triton spent on a request of the model: queue, compute and the response cache."),
    Signal("cache_hit_ratio", "Response-cache hit ratio",
           (f"sum by ({BY}) (rate({{{{nv_cache_num_hits_per_model}}}}[{W}])) / "
            + nonzero(f"sum by ({BY}) (rate({{{{nv_cache_num_hits_per_model}}}}[{W}])) + sum by ({BY}) (rate({{{{nv_cache_num_misses_per_model}}}}[{W}]))"),),
           "percentunit", "Share of requests answered from Triton's response cache (models with response_cache enabled only).", LEG),
    Signal("requests_per_minute", "Requests per minute", (f"60 * sum by (service, model, version) (rate({{{{nv_inference_request_success}}}}[{W}]))",),
           "short", "Successful requests per minute for the selected model(s), from the per-second rate.", LEG),
    Signal("pending_growth", "Pending requests growth (15m)", (f"sum by ({BY}) (delta({{{{nv_inference_pending_request_count}}}}[15m]))",),
           "short", "Change of the pending request count over 15 minutes: a growing backlog.", LEG),
    Signal("saturation", "Pending requests", ("sum by (service) ({{nv_inference_pending_request_count}})",),
           "short", "Requests waiting in Triton.", "{{service}}"),
    Signal("gpu_utilization", "GPU utilisation", ("avg by (service, gpu_uuid) ({{nv_gpu_utilization}})",),
           "percentunit", "GPU utilisation as Triton reports it.", "{{service}} {{gpu_uuid}}"),
    Signal("gpu_memory_used", "GPU memory used", ("sum by (service, gpu_uuid) ({{nv_gpu_memory_used_bytes}}) / sum by (service, gpu_uuid) ({{nv_gpu_memory_total_bytes}})",),
           "percentunit", "Used share of GPU memory.", "{{service}} {{gpu_uuid}}", ((0.9, "orange"), (0.97, "red"))),
    Signal("gpu_power", "GPU power", ("sum by (service, gpu_uuid) ({{nv_gpu_power_usage}})",),
           "watt", "GPU power draw.", "{{service}} {{gpu_uuid}}"),
    Signal("cpu_utilization", "CPU utilisation", ("avg by (service, instance) ({{nv_cpu_utilization}})",),
           "percentunit", "CPU utilisation of the Triton host/container.", "{{service}} {{instance}}"),
    Signal("cpu_memory_used", "CPU memory used", ("sum by (service, instance) ({{nv_cpu_memory_used_bytes}})",),
           "bytes", "CPU memory used.", "{{service}} {{instance}}"),
    Signal("cpu_memory_ratio", "CPU memory used (share)",
           ("sum by (service, instance) ({{nv_cpu_memory_used_bytes}}) / " + nonzero("sum by (service, instance) ({{nv_cpu_memory_total_bytes}})"),),
           "percentunit", "Used share of the memory Triton sees (its container's limit or the host's).", "{{service}} {{instance}}",
           ((0.85, "orange"), (0.95, "red"))),
    Signal("gpu_utilization_max", "GPU utilisation (busiest GPU)", ("max by (service, instance, gpu_uuid) ({{nv_gpu_utilization}})",),
           "percentunit", "Utilisation of each GPU of each Triton instance, as Triton reports it.", "{{service}} {{instance}} {{gpu_uuid}}"),
)

KIND = Kind("triton", "NVIDIA Triton", METRICS, SIGNALS, model_label="model",
            key_metric="nv_inference_request_success",
            source="Triton user guide, Metrics (docs.nvidia.com); tritonserver sample /metrics output")
