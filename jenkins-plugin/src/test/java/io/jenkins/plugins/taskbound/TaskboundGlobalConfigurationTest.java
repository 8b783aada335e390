package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

@WithJenkins
class TaskboundGlobalConfigurationTest {

  @Test
  void keepsCeilingPolicyThroughTheConfigFormAndOnDisk(JenkinsRule r) throws Exception {
    // A ceiling the core accepts (shared-core PluginPolicyFixturesTest runs policy check on it).
    String ceiling = PipelineScripts.resource("ceiling-policy.yml");
    TaskboundGlobalConfiguration.get().setCeilingPolicy(ceiling);

    r.configRoundtrip();

    assertEquals(ceiling, TaskboundGlobalConfiguration.get().getCeilingPolicy());
    assertEquals(ceiling, new TaskboundGlobalConfiguration().getCeilingPolicy());
  }

  @Test
  void clearsCeilingPolicyWhenBlankAndNormalisesLineEnds(JenkinsRule r) {
    TaskboundGlobalConfiguration config = TaskboundGlobalConfiguration.get();

    config.setCeilingPolicy("a: 1\r\nb: 2\r\n");
    String normalised = config.getCeilingPolicy();
    config.setCeilingPolicy("  \n");

    assertEquals("a: 1\nb: 2\n", normalised);
    assertNull(config.getCeilingPolicy());
  }
}
