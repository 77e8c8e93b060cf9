"""Read an nnasim hardware YAML (one core) and build the matched ZigZag accelerator.

Only figures that the nnasim file states are used: array shape and dataflow, clock, OCM size and
port width, DRAM bandwidth, energy per MAC / OCM byte / DRAM byte, and the accumulator memory when
the file describes one (any section whose key contains "accum", under mac_array or at the top,
and energy keys containing "accum"). Where the file has no accumulator, the ASSUMED_ACCUMULATOR
below is used and the report says so."""
import re

import yaml

_SCALE = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
          "p": 1e-12, "n": 1e-9, "u": 1e-6, "f": 1e-15}

# Used only when the hardware file has no accumulator memory: a TPU-v1-like accumulator per column
# (TPU v1: 4 MiB of 32-bit accumulators for 256 columns = 4096 entries per column; Jouppi et al.,
# ISCA 2017), here 1024 entries per column, and the energy of a small SRAM bank: Horowitz ISSCC 2014,
# 8 KB SRAM 64-bit read 10 pJ = 1.25 pJ/B at 45 nm, x 0.25 to the node series4-1core.yaml assumes.
ASSUMED_ACCUMULATOR = {"entries_per_column": 1024, "entry_bits": 32, "read_pj_per_byte": 0.3125,
                       "write_pj_per_byte": 0.3125, "source": "assumption (bench/zigzag/hw.py)"}


def quantity(v, unit_re: str) -> float:
    """'1 MiB' -> 1048576 (unit_re 'B'), '12 GB/s' -> 1.2e10 ('B/s'), '8 pJ/bit' -> 8e-12 / 8 per byte..."""
    if isinstance(v, (int, float)):
        return float(v)
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-zA-Z]{0,2}?)(" + unit_re + r")\s*", str(v))
    if not m:
        raise ValueError(f"cannot read '{v}' as a quantity in {unit_re}")
    return float(m.group(1)) * _SCALE[m.group(2)]


def pj_per_byte(v) -> float:
    s = str(v)
    if s.endswith("/bit"):
        return quantity(s[:-4], "J") * 8 * 1e12
    if s.endswith("/B"):
        return quantity(s[:-2], "J") * 1e12
    return quantity(s, "J") * 1e12


def _find_accum(d):
    for k, v in (d or {}).items():
        if "accum" in str(k).lower() and isinstance(v, dict):
            return v
    return None


def _resolved(report, section, word):
    """pJ per byte (or per entry) that nnasim resolved and printed in its JSON report, e.g.
    report["ocm"]["read_joules_per_byte"]; None when absent."""
    sec = (report or {}).get(section)
    if not isinstance(sec, dict):
        return None
    for k, v in sec.items():
        if word in k and "joules" in k and isinstance(v, (int, float)):
            return v * 1e12
    return None


def read_nnasim_hw(path: str, accumulator: bool = True, report: dict | None = None) -> dict:
    """The matched machine's figures. accumulator=False leaves the accumulator out (partial sums
    then live in OCM, as in nnasim before it had an accumulator memory). Energies the YAML leaves
    to nnasim's models (the OCM's, from its capacity) are taken from `report`, an nnasim JSON
    report on this hardware, which prints the figures it used."""
    hw = yaml.safe_load(open(path))
    mac, en = hw["mac_array"], hw["energy"]
    clock = quantity(hw["clock"], "Hz")
    e_mac = next(pj_per_byte(e["energy"]) for e in en["mac"]
                 if e.get("weight_bits") == 8 and e.get("act_bits") == 8 and e.get("format", "int") == "int")
    a = {
        "name": hw.get("name", "hw"), "rows": int(mac["rows"]), "cols": int(mac["cols"]),
        "dataflow": mac.get("dataflow", "weight_stationary"), "clock_hz": clock,
        "ocm_bytes": int(quantity(hw["ocm"]["size"], "B")),
        "ocm_bytes_per_cycle": int(hw["ocm"]["bytes_per_cycle"]),
        "dram_bytes_per_cycle": quantity(hw["dram"]["bandwidth"], "B/s") * float(hw["dram"].get("efficiency", 1.0)) / clock,
        "mac_pj": e_mac,
        "ocm_read_pj_per_byte": pj_per_byte(en["ocm_read"]) if "ocm_read" in en else _resolved(report, "ocm", "read"),
        "ocm_write_pj_per_byte": pj_per_byte(en["ocm_write"]) if "ocm_write" in en else _resolved(report, "ocm", "write"),
        "dram_read_pj_per_byte": pj_per_byte(en["dram_read"]), "dram_write_pj_per_byte": pj_per_byte(en["dram_write"]),
    }
    for k in ("ocm_read_pj_per_byte", "ocm_write_pj_per_byte"):
        if a[k] is None:
            raise ValueError(f"{path}: no energy.{k[:9]} and no nnasim report stating it")
    acc = _find_accum(mac) or _find_accum(hw)
    acc_en = {k: v for k, v in en.items() if "accum" in str(k).lower()}
    if isinstance(acc_en.get("accumulator"), dict):
        acc_en = {f"accumulator_{k}": v for k, v in acc_en["accumulator"].items()}
    if not accumulator:
        A = None
    elif acc is None:
        A = dict(ASSUMED_ACCUMULATOR)
        A["bytes"] = A["entries_per_column"] * a["cols"] * A["entry_bits"] // 8
        A["entries_per_cycle"] = a["cols"]
    else:
        A = {"source": f"{path}: accumulator section"}
        bits = next((int(v) for k, v in acc.items() if "bits" in k or "width" in k), 32)
        A["entry_bits"] = bits
        size = next((v for k, v in acc.items() if k in ("size", "capacity", "bytes")), None)
        entries = next((v for k, v in acc.items() if k in ("entries", "entries_per_column")), None)
        if size is not None:
            A["bytes"] = int(quantity(size, "B"))
        elif entries is not None:
            A["bytes"] = int(entries) * (a["cols"] if "column" in str(entries) else 1) * bits // 8
        else:
            raise ValueError(f"{path}: accumulator section without a size")
        A["entries_per_cycle"] = int(next((v for k, v in acc.items() if "per_cycle" in k), a["cols"]))
        # energy: inside the section (read/write keys) or in energy: accumulator_read / accumulator_write
        def energy(word):
            for src in (acc, acc_en):
                for k, v in src.items():
                    if word in k and ("energy" in k or "pj" in k.lower() or "accum" in k or k == word):
                        s = str(v)
                        e = pj_per_byte(v)
                        # a per-entry energy ("pJ" without /B or /bit) is converted to per byte
                        if not (s.endswith("/B") or s.endswith("/bit")):
                            e /= bits / 8
                        return e
            raise ValueError(f"{path}: accumulator {word} energy not found")
        A["read_pj_per_byte"] = energy("read")
        A["write_pj_per_byte"] = energy("write")
    a["acc"] = A
    return a


def _port(name, typ, bw_min, bw_max, alloc):
    return {"name": name, "type": typ, "bandwidth_min": bw_min, "bandwidth_max": bw_max, "allocation": alloc}


def zigzag_accelerator(a: dict) -> dict:
    """The matched ZigZag accelerator. Energies are per access of the port's full width
    (bandwidth_max bits); bandwidth_min = 8 bits makes ZigZag count accesses in whole bytes, so that
    energy = bytes x pJ/B exactly as nnasim charges.
    Levels (lowest first):
      w_reg  one weight per PE (weight stationary), not charged (nnasim charges none)
      o_reg  one 32-bit sum per column (the adder chain's output), not charged
      accumulator  32-bit partial sums, one entry per column per cycle read and written
      ocm    inputs, weights and final outputs (and partial sums that do not fit below)
      dram   everything, at the DRAM bandwidth"""
    A = a["acc"]
    entry_bits = A["entry_bits"] if A else 32
    ocm_bits = a["ocm_bytes_per_cycle"] * 8
    dram_bits = max(8, int(round(a["dram_bytes_per_cycle"] * 8)))
    per = lambda pj_b, bits: pj_b * bits / 8  # noqa: E731
    mems = {
        "w_reg": {"size": 8, "r_cost": 0, "w_cost": 0, "area": 0, "latency": 1, "operands": ["I2"],
                  "ports": [_port("r_port_1", "read", 8, 8, ["I2, tl"]), _port("w_port_1", "write", 8, 8, ["I2, fh"])],
                  "served_dimensions": []},
        "o_reg": {"size": entry_bits, "r_cost": 0, "w_cost": 0, "area": 0, "latency": 1, "operands": ["O"],
                  "ports": [_port("r_port_1", "read", entry_bits, entry_bits, ["O, tl", "O, th"]),
                            _port("w_port_1", "write", entry_bits, entry_bits, ["O, fh", "O, fl"])],
                  "served_dimensions": ["D2"]},
    }
    if A:
        acc_bits = A["entries_per_cycle"] * A["entry_bits"]
        mems["accumulator"] = {"size": A["bytes"] * 8, "r_cost": per(A["read_pj_per_byte"], acc_bits),
                        "w_cost": per(A["write_pj_per_byte"], acc_bits), "area": 0, "latency": 1, "operands": ["O"],
                        "ports": [_port("r_port_1", "read", 8, acc_bits, ["O, tl", "O, th"]),
                                  _port("w_port_1", "write", 8, acc_bits, ["O, fh", "O, fl"])],
                        "served_dimensions": ["D1", "D2"]}
    mems.update({
        "ocm": {"size": a["ocm_bytes"] * 8, "r_cost": per(a["ocm_read_pj_per_byte"], ocm_bits),
                "w_cost": per(a["ocm_write_pj_per_byte"], ocm_bits), "area": 0, "latency": 1,
                "operands": ["I1", "I2", "O"],
                "ports": [_port("rw_port_1", "read_write", 8, ocm_bits,
                                ["I1, tl", "I1, fh", "I2, tl", "I2, fh", "O, tl", "O, th", "O, fh", "O, fl"])],
                "served_dimensions": ["D1", "D2"]},
        "dram": {"size": 10**12, "r_cost": per(a["dram_read_pj_per_byte"], dram_bits),
                 "w_cost": per(a["dram_write_pj_per_byte"], dram_bits), "area": 0, "latency": 1,
                 "operands": ["I1", "I2", "O"],
                 "ports": [_port("rw_port_1", "read_write", 8, dram_bits,
                                 ["I1, fh", "I1, tl", "I2, fh", "I2, tl", "O, fh", "O, tl", "O, fl", "O, th"])],
                 "served_dimensions": ["D1", "D2"]},
    })
    return {"name": f"{a['name']}-matched", "memories": mems,
            "operational_array": {"unit_energy": a["mac_pj"], "unit_area": 1, "dimensions": ["D1", "D2"],
                                  "sizes": [a["cols"], a["rows"]]}}
