package io.jenkins.plugins.taskbound;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jvnet.hudson.test.JenkinsRule;

/** Builds the Pipeline scripts the tests run: a node that writes the test policy, then the step. */
final class PipelineScripts {
  private PipelineScripts() {}

  /** A sandboxed Pipeline job running {@link #withPolicy}. */
  static WorkflowJob job(JenkinsRule r, String name, String stepArguments, String body) throws IOException {
    WorkflowJob job = r.createProject(WorkflowJob.class, name);
    job.setDefinition(new CpsFlowDefinition(withPolicy(stepArguments, body), true));
    return job;
  }

  /** {@code node { writeFile p.yml; taskbound(ARGS) { BODY } }}, with the minimal test policy as p.yml. */
  static String withPolicy(String stepArguments, String body) throws IOException {
    return "node {\n"
        + "  writeFile file: 'p.yml', text: '''" + minimalPolicy() + "'''\n"
        + "  taskbound(" + stepArguments + ") {\n"
        + "    " + body + "\n"
        + "  }\n"
        + "}\n";
  }

  private static String minimalPolicy() throws IOException {
    try (InputStream in = PipelineScripts.class.getResourceAsStream("minimal-policy.yml")) {
      if (in == null) {
        throw new IOException("minimal-policy.yml is missing from the test resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
