package dev.taskbound.core.egress;

/**
 * Counters of a {@link Gateway} since it started; a snapshot, not live.
 *
 * @param connections client connections accepted
 * @param allowed requests allowed and connected upstream
 * @param denied requests denied by the rules or the address guard
 * @param malformed requests refused as malformed, too large or too slow (4xx other than 403)
 * @param upstreamFailures allowed requests whose upstream could not be resolved or reached (502)
 * @param open connections open right now
 */
public record GatewayStats(long connections, long allowed, long denied, long malformed, long upstreamFailures, int open) {}
