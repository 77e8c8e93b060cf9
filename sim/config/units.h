// Physical quantities written with their unit in YAML ("1 MiB", "12 GB/s", "1.5 GHz", "0.2 pJ",
// "100 ns", "8 pJ/bit", "0.05 W", "282 um2"). A bare number where a unit is needed is an error, and so is a
// unit of the wrong kind. Values come back in SI base units (bytes, bytes/s, Hz, J, s, J/byte, W, mm^2).
#pragma once
#include <string>
#include <vector>

namespace nnasim::config {

enum class Quantity { Bytes, Bandwidth, Frequency, Energy, Time, EnergyPerByte, Power, Area };

// Human name of a kind and the units it accepts, for messages and --help-config.
const char* quantity_name(Quantity q);
std::string quantity_units(Quantity q);

// Parses "<number> <unit>". Throws std::invalid_argument with a message fit for the user
// (the caller adds file and line).
double parse_quantity(const std::string& text, Quantity q);

// Formats a value in a readable unit ("1 MiB", "12 GB/s"); used by reports and --help-config.
std::string format_quantity(double value, Quantity q);

}  // namespace nnasim::config
