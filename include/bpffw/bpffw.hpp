// The whole public API of libbpffw.
#pragma once

#include <bpffw/cgroup.hpp>
#include <bpffw/compile_cache.hpp>
#include <bpffw/compiler.hpp>
#include <bpffw/drop_log.hpp>
#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/interpreter.hpp>
#include <bpffw/object_bundle.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>
#include <bpffw/sets.hpp>
#include <bpffw/version.hpp>
