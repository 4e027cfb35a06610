// ModelStandIn: a local server that speaks the OpenAI wire formats faithfully, failures included,
// for tests and benchmarks (no network is reachable where they run). Not shipped to operators.
