// Runs before every integration test file. Nothing here may hide a missing dependency:
// suites check reachability themselves (see test/support) and fail under CI=true.
process.env.TZ = 'UTC';
