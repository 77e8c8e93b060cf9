"""Run ZigZag on one layer and write what the comparison needs as JSON.

Usage (PYTHONPATH = bench/zigzag/shims : ZIGZAG_CHECKOUT):
  run_zigzag.py ACCEL.yaml WORKLOAD.yaml MAPPING.yaml OUT.json DUMP_DIR [OPT]
OPT is ZigZag's mapping criterion: energy, latency or EDP (default EDP, as nnasim chooses tilings
by estimated energy-delay product). The spatial mapping is the one in MAPPING.yaml (forced); the
temporal mapping is LOMA's best for OPT."""
import json
import logging
import sys

from zigzag.api import get_hardware_performance_zigzag
from zigzag.datatypes import Constants

acc_yaml, wl_yaml, map_yaml, out_json, dump = sys.argv[1:6]
opt = sys.argv[6] if len(sys.argv) > 6 else "EDP"
logging.disable(logging.INFO)
energy, latency, cmes = get_hardware_performance_zigzag(
    wl_yaml, acc_yaml, map_yaml, opt=opt, dump_folder=dump, loma_show_progress_bar=False,
    nb_spatial_mappings_generated=1)
cme = cmes[0][1][0][0]  # the one layer's cost-model evaluation

levels = {}
for layer_op, accs in cme.memory_word_access.items():
    mem_op = cme.memory_operand_links.layer_to_mem_op(layer_op)
    mls = cme.accelerator.memory_hierarchy.get_memory_levels(mem_op=mem_op)
    for acc, ml, e in zip(accs, mls, cme.mem_energy_breakdown[layer_op]):
        name = ml.memory_instance.name
        rec = levels.setdefault(name, {"read_bytes": {}, "write_bytes": {}, "energy_pj": {}, "bytes_by_direction": {}})
        op = str(layer_op)
        # accesses are in units of the port's full width (bandwidth_max bits); bandwidth_min is 8
        # bits in the matched architecture, so accesses x width / 8 are whole bytes.
        r = w = 0.0
        by_dir = {}
        for d, n in acc.data.items():
            width = ml.get_max_bandwidth(mem_op, d) or 0
            b = n * width / 8
            by_dir[d.name] = b
            if d.name.startswith("RD"):
                r += b
            else:
                w += b
        rec["read_bytes"][op] = r
        rec["write_bytes"][op] = w
        rec["energy_pj"][op] = e
        rec["bytes_by_direction"][op] = by_dir

tm = cme.temporal_mapping
# per operand, per memory level (lowest first): the temporal loops at that level, innermost first
order = {str(op): [[[str(d), float(s)] for d, s in lvl] for lvl in tm.mapping_dic_origin[op]]
         for op in tm.mapping_dic_origin}
res = {
    "energy_pj": cme.energy_total, "mac_energy_pj": cme.mac_energy, "mem_energy_pj": cme.mem_energy,
    "macs": cme.layer.total_mac_count,
    "latency_cycles": cme.latency_total2, "ideal_cycles": cme.ideal_cycle,
    "ideal_temporal_cycles": cme.ideal_temporal_cycle,
    "onloading_cycles": cme.latency_total1 - cme.latency_total0,
    "offloading_cycles": cme.latency_total2 - cme.latency_total1,
    "stall_cycles": cme.latency_total0 - cme.ideal_temporal_cycle,
    "spatial_utilization": cme.mac_spatial_utilization,
    "spatial_mapping": str(cme.spatial_mapping),
    "temporal_mapping": order,
    "levels": levels,
}
json.dump(res, open(out_json, "w"), indent=1, sort_keys=True)
print(f"ZigZag: {energy:.4g} pJ, {latency:.6g} cycles")
