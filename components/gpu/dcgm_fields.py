"""DCGM fields the exporter can collect, as listed in the exporter's collectors files
(dcgm-exporter 4.8.2 ``etc/default-counters.csv`` and ``etc/dcp-metrics-included.csv``).

The exporter publishes each field under its own name (``DCGM_FI_DEV_GPU_UTIL``) with the
Prometheus type given here. Framebuffer figures are MiB, energy mJ, power W, clocks MHz.
"""

from __future__ import annotations

from typing import NamedTuple


class DcgmField(NamedTuple):
    name: str
    type: str  # gauge | counter | label
    help: str


DEFAULT: tuple[DcgmField, ...] = (
    DcgmField("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (MHz)."),
    DcgmField("DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (MHz)."),
    DcgmField("DCGM_FI_DEV_MEMORY_TEMP", "gauge", "Memory temperature (C)."),
    DcgmField("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (C)."),
    DcgmField("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (W)."),
    DcgmField("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter", "Energy consumed since boot (mJ)."),
    DcgmField("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "PCIe retries."),
    DcgmField("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilisation (%)."),
    DcgmField("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory copy utilisation (%)."),
    DcgmField("DCGM_FI_DEV_ENC_UTIL", "gauge", "Encoder utilisation (%)."),
    DcgmField("DCGM_FI_DEV_DEC_UTIL", "gauge", "Decoder utilisation (%)."),
    DcgmField("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error seen."),
    DcgmField("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (MiB)."),
    DcgmField("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (MiB)."),
    DcgmField("DCGM_FI_DEV_FB_RESERVED", "gauge", "Framebuffer memory reserved (MiB)."),
    DcgmField("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "counter", "NVLink bandwidth counter summed over all lanes."),
    DcgmField("DCGM_FI_DEV_VGPU_LICENSE_STATUS", "gauge", "vGPU licence status."),
    DcgmField("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter", "Rows remapped for uncorrectable errors."),
    DcgmField("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "Rows remapped for correctable errors."),
    DcgmField("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "1 when row remapping has failed."),
    DcgmField("DCGM_FI_DRIVER_VERSION", "label", "Driver version (a label on every series)."),
)
"""Collected on every pool: the exporter's default set without the profiling fields."""

PROFILING: tuple[DcgmField, ...] = (
    DcgmField("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "Ratio of time the graphics engine is active."),
    DcgmField("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "gauge", "Ratio of cycles the tensor (HMMA) pipe is active."),
    DcgmField("DCGM_FI_PROF_DRAM_ACTIVE", "gauge", "Ratio of cycles the device memory interface is active."),
    DcgmField("DCGM_FI_PROF_PCIE_TX_BYTES", "gauge", "PCIe transmit rate including headers (bytes/s)."),
    DcgmField("DCGM_FI_PROF_PCIE_RX_BYTES", "gauge", "PCIe receive rate including headers (bytes/s)."),
)
"""Collected only where the pool enables profiling (needs SYS_ADMIN and a datacenter GPU)."""

OPTIONAL: tuple[DcgmField, ...] = (
    DcgmField("DCGM_FI_DEV_POWER_VIOLATION", "counter", "Throttling time due to power constraints (ns)."),
    DcgmField("DCGM_FI_DEV_THERMAL_VIOLATION", "counter", "Throttling time due to thermal constraints (ns)."),
    DcgmField("DCGM_FI_DEV_SYNC_BOOST_VIOLATION", "counter", "Throttling time due to sync-boost constraints (ns)."),
    DcgmField("DCGM_FI_DEV_BOARD_LIMIT_VIOLATION", "counter", "Throttling time due to board limits (ns)."),
    DcgmField("DCGM_FI_DEV_LOW_UTIL_VIOLATION", "counter", "Throttling time due to low utilisation (ns)."),
    DcgmField("DCGM_FI_DEV_RELIABILITY_VIOLATION", "counter", "Throttling time due to reliability constraints (ns)."),
    DcgmField("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "counter", "Single-bit volatile ECC errors."),
    DcgmField("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "counter", "Double-bit volatile ECC errors."),
    DcgmField("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", "counter", "Single-bit persistent ECC errors."),
    DcgmField("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "counter", "Double-bit persistent ECC errors."),
    DcgmField("DCGM_FI_DEV_RETIRED_SBE", "counter", "Pages retired for single-bit errors."),
    DcgmField("DCGM_FI_DEV_RETIRED_DBE", "counter", "Pages retired for double-bit errors."),
    DcgmField("DCGM_FI_DEV_RETIRED_PENDING", "counter", "Pages pending retirement."),
    DcgmField("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", "counter", "NVLink flow-control CRC errors."),
    DcgmField("DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL", "counter", "NVLink data CRC errors."),
    DcgmField("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", "counter", "NVLink retries."),
    DcgmField("DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", "counter", "NVLink recovery errors."),
    DcgmField("DCGM_FI_PROF_SM_ACTIVE", "gauge", "Ratio of cycles an SM has at least one warp assigned."),
    DcgmField("DCGM_FI_PROF_SM_OCCUPANCY", "gauge", "Ratio of warps resident on an SM to the maximum."),
    DcgmField("DCGM_FI_PROF_PIPE_FP64_ACTIVE", "gauge", "Ratio of cycles the fp64 pipes are active."),
    DcgmField("DCGM_FI_PROF_PIPE_FP32_ACTIVE", "gauge", "Ratio of cycles the fp32 pipes are active."),
    DcgmField("DCGM_FI_PROF_PIPE_FP16_ACTIVE", "gauge", "Ratio of cycles the fp16 pipes are active."),
)
"""Known fields a pool may add through ``extraCounters``."""

KNOWN: dict[str, DcgmField] = {f.name: f for f in DEFAULT + PROFILING + OPTIONAL}


def counters(profiling: bool, extra: list[str] | tuple[str, ...] = ()) -> list[DcgmField]:
    """The collectors list of one pool, in a stable order, without duplicates."""
    fields = list(DEFAULT) + (list(PROFILING) if profiling else [])
    names = {f.name for f in fields}
    for name in sorted(set(extra)):
        if name not in names:
            fields.append(KNOWN[name])
    return fields


def collected(pools) -> set[str]:
    """Fields some pool's exporter collects: infermon's collectors file in exporter mode; the GPU
    Operator's default (dcgm-exporter's ``dcp-metrics-included.csv``: defaults and profiling) plus the
    pool's ``extraCounters`` in gpu-operator mode."""
    out: set[str] = set()
    for p in pools:
        operator = p.mode == "gpu-operator"
        out |= {f.name for f in counters(p.profiling or operator, p.extra_counters)}
    return out


def collectors_csv(fields: list[DcgmField]) -> str:
    lines = ["# DCGM FIELD, Prometheus metric type, help message (generated by infermon)"]
    lines += [f"{f.name}, {f.type}, {f.help}" for f in fields]
    return "\n".join(lines) + "\n"
