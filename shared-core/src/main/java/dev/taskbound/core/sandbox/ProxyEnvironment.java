package dev.taskbound.core.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The variables that point every common client at the sandbox's forwarder on
 * {@code 127.0.0.1:<port>}: curl, wget, Python, Go, Node ({@code NODE_USE_ENV_PROXY}), npm, yarn,
 * pip, git and every JVM ({@code JAVA_TOOL_OPTIONS}). Stateless.
 */
public final class ProxyEnvironment {
  private ProxyEnvironment() {}

  /**
   * The agent's environment with the proxy variables set (replacing any the caller gave). An
   * existing {@code JAVA_TOOL_OPTIONS} is kept and extended; existing {@code GIT_CONFIG_*} entries
   * are kept and one more is appended.
   *
   * @param base the agent's environment, not modified
   * @param port the forwarder's port on 127.0.0.1
   * @return a new mutable map
   */
  public static Map<String, String> forAgent(Map<String, String> base, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    String url = "http://127.0.0.1:" + port;
    Map<String, String> env = new LinkedHashMap<>(base);
    for (String name : new String[] {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}) {
      env.put(name, url);
      env.put(name.toLowerCase(java.util.Locale.ROOT), url);
    }
    // Empty: even localhost goes through the proxy (inside the sandbox nothing else listens).
    env.put("NO_PROXY", "");
    env.put("no_proxy", "");
    env.put("NODE_USE_ENV_PROXY", "1");
    env.put("npm_config_proxy", url);
    env.put("npm_config_https_proxy", url);
    env.put("YARN_HTTP_PROXY", url);
    env.put("YARN_HTTPS_PROXY", url);
    env.put("PIP_PROXY", url);
    String javaOpts =
        "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=" + port + " -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" + port
            + " -Dhttp.nonProxyHosts=";
    String existing = base.getOrDefault("JAVA_TOOL_OPTIONS", "").strip();
    env.put("JAVA_TOOL_OPTIONS", existing.isEmpty() ? javaOpts : existing + " " + javaOpts);
    int count = gitConfigCount(base.get("GIT_CONFIG_COUNT"));
    env.put("GIT_CONFIG_KEY_" + count, "http.proxy");
    env.put("GIT_CONFIG_VALUE_" + count, url);
    env.put("GIT_CONFIG_COUNT", String.valueOf(count + 1));
    return env;
  }

  private static int gitConfigCount(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(value.strip()));
    } catch (NumberFormatException e) {
      return 0; // git itself would reject it; ours becomes the only entry it reads
    }
  }
}
