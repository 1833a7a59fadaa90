// The fraud-detection job's own binary: `fraud-detection run fraud-detection`
// runs it embedded, `fraud-detection node` serves it to a coordinator, and
// savepoint, state, jobs and job work on it as with the weir command.

#include "fraud_detection.hpp"
#include "weir/main.hpp"

int main(int argc, char** argv) {
  fraud::register_fraud_detection();
  return weir::main(argc, argv);
}
