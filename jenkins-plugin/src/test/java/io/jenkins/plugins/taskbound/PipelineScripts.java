package io.jenkins.plugins.taskbound;

import hudson.model.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jvnet.hudson.test.JenkinsRule;

/** Builds the Pipeline scripts the tests run: a node that writes the test policy, then the step. */
final class PipelineScripts {
  private PipelineScripts() {}

  /**
   * A sandboxed Pipeline job running {@link #withPolicy}.
   *
   * @throws Descriptor.FormException as {@link CpsFlowDefinition} does for a script it refuses
   */
  static WorkflowJob job(JenkinsRule r, String name, String stepArguments, String body)
      throws IOException, Descriptor.FormException {
    WorkflowJob job = r.createProject(WorkflowJob.class, name);
    job.setDefinition(new CpsFlowDefinition(withPolicy(stepArguments, body), true));
    return job;
  }

  /**
   * {@code node { writeFile p.yml; taskbound(ARGS) { BODY }; AFTER... }}, with the minimal test policy
   * as p.yml; {@code after} are further lines of the same node block.
   */
  static String withPolicy(String stepArguments, String body, String... after) throws IOException {
    return "node {\n"
        + "  writeFile file: 'p.yml', text: '''" + minimalPolicy() + "'''\n"
        + "  taskbound(" + stepArguments + ") {\n"
        + "    " + body + "\n"
        + "  }\n"
        + String.join("", java.util.Arrays.stream(after).map(line -> "  " + line + "\n").toList())
        + "}\n";
  }

  /** A test resource of this package as text: the policy fixtures, which the core's tests check. */
  static String resource(String name) throws IOException {
    try (InputStream in = PipelineScripts.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException(name + " is missing from the test resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String minimalPolicy() throws IOException {
    return resource("minimal-policy.yml");
  }
}
