package dev.taskbound.core.gate;

/**
 * The one JVM-wide setting the agent API's server needs, applied by each host at its edge ({@code
 * Main}, the Action's {@code ActionMain}) before a session starts one. The JDK's {@code HttpServer}
 * writes a response's headers and body apart: with Nagle's algorithm on its sockets, a client that
 * keeps its connection (a {@code CONNECT} tunnel through the gateway) waits ~40 ms, its delayed ACK,
 * for every answer after the first. {@code sun.net.httpserver.nodelay} is the JDK's only switch for
 * it, read once when its first server is made (bench/README.md, "Agent API keep-alive").
 */
public final class AgentApiJvm {
  static final String NO_DELAY = "sun.net.httpserver.nodelay";

  private AgentApiJvm() {}

  /** Turns Nagle's algorithm off for this JVM's JDK HTTP servers, unless a JVM option set the property. */
  public static void applyToThisJvm() {
    if (System.getProperty(NO_DELAY) == null) {
      System.setProperty(NO_DELAY, "true");
    }
  }
}
