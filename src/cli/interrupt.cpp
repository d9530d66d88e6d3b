#include "interrupt.hpp"

#include <csignal>

#include "infbench/runner.hpp"

namespace infbench::cli {
namespace {

void on_interrupt(int) {
  interrupt_flag() = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

InterruptHandler::InterruptHandler() { std::signal(SIGINT, on_interrupt); }
InterruptHandler::~InterruptHandler() { std::signal(SIGINT, SIG_DFL); }

}  // namespace infbench::cli
