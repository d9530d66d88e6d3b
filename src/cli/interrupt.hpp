#pragma once
// Ctrl-C during a measurement: the first SIGINT sets infbench::interrupt_flag() (the run in
// progress ends as "interrupted" and what was measured is kept), a second one ends the process.
namespace infbench::cli {

class InterruptHandler {
 public:
  InterruptHandler();   // installs the handler
  ~InterruptHandler();  // back to the default action
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;
};

}  // namespace infbench::cli
