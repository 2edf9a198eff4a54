#pragma once
namespace edgeguard::exit_code {
inline constexpr int kOk = 0;
inline constexpr int kRuntimeFailure = 1;    // also: findings at/above the threshold (analyze-manifest)
inline constexpr int kBadInput = 2;          // unusable configuration, arguments or input file
}  // namespace edgeguard::exit_code
