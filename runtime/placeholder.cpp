// Keeps edgepipe_runtime a real library until its first state machine lands.
namespace edgepipe::runtime {
int runtime_library_version() { return 1; }
} // namespace edgepipe::runtime
