package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyEnvironmentTest {
  @Test
  void pointsEveryCommonClientAtTheForwarder() {
    Map<String, String> env = ProxyEnvironment.forAgent(Map.of("PATH", "/bin"), 4321);

    String url = "http://127.0.0.1:4321";
    assertThat(env)
        .containsEntry("PATH", "/bin")
        .containsEntry("HTTP_PROXY", url).containsEntry("http_proxy", url)
        .containsEntry("HTTPS_PROXY", url).containsEntry("https_proxy", url)
        .containsEntry("ALL_PROXY", url).containsEntry("all_proxy", url)
        .containsEntry("NO_PROXY", "").containsEntry("no_proxy", "")
        .containsEntry("NODE_USE_ENV_PROXY", "1")
        .containsEntry("npm_config_proxy", url).containsEntry("npm_config_https_proxy", url)
        .containsEntry("YARN_HTTP_PROXY", url).containsEntry("YARN_HTTPS_PROXY", url)
        .containsEntry("PIP_PROXY", url)
        .containsEntry("GIT_CONFIG_COUNT", "1")
        .containsEntry("GIT_CONFIG_KEY_0", "http.proxy")
        .containsEntry("GIT_CONFIG_VALUE_0", url)
        .containsEntry(
            "JAVA_TOOL_OPTIONS",
            "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=4321 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=4321"
                + " -Dhttp.nonProxyHosts=");
  }

  @Test
  void replacesCallerProxySettingsButKeepsOtherJavaAndGitSettings() {
    Map<String, String> base =
        Map.of(
            "HTTPS_PROXY", "http://attacker:8080",
            "NO_PROXY", "*",
            "JAVA_TOOL_OPTIONS", "-Xmx1g",
            "GIT_CONFIG_COUNT", "2",
            "GIT_CONFIG_KEY_0", "user.name",
            "GIT_CONFIG_VALUE_0", "agent",
            "GIT_CONFIG_KEY_1", "core.autocrlf",
            "GIT_CONFIG_VALUE_1", "false");

    Map<String, String> env = ProxyEnvironment.forAgent(base, 80);

    assertThat(env)
        .containsEntry("HTTPS_PROXY", "http://127.0.0.1:80")
        .containsEntry("NO_PROXY", "")
        .containsEntry("GIT_CONFIG_COUNT", "3")
        .containsEntry("GIT_CONFIG_KEY_0", "user.name")
        .containsEntry("GIT_CONFIG_KEY_2", "http.proxy")
        .containsEntry("GIT_CONFIG_VALUE_2", "http://127.0.0.1:80");
    assertThat(env.get("JAVA_TOOL_OPTIONS")).startsWith("-Xmx1g -Dhttp.proxyHost=127.0.0.1 ");
  }
}
