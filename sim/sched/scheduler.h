// The scheduler: Graph + HardwareSpec -> Plan -> Program.
#pragma once
#include "sim/sched/plan.h"
#include "sim/program/program.h"

namespace nnasim::sched {

// The scheduler speaks the Program's vocabulary.
using program::Command;
using program::Kind;
using program::kUnits;
using program::Program;
using program::to_string;
using program::Unit;
using program::unit_of;

struct Schedule {
  Plan plan;
  Program program;
};

// Emits the per-core command streams for a plan (see program.h for their semantics).
Program emit_program(const graph::Graph& g, const HardwareSpec& hw, const Plan& plan);

Schedule schedule(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt);

}  // namespace nnasim::sched
