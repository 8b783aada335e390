package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The identity claims a block's session carries about where it runs (issue 13): the controller's
 * URL, the job's full name, the build number and URL, and the node. Given to the core as {@code
 * --claim NAME=VALUE} (names in the core's {@code [a-z][a-z0-9_]*} form), so a Vault role can bind
 * to them ({@code bound_claims}) and the evidence names the build. Values the controller does not
 * know (no root URL configured) are left out. No Jenkins types.
 */
final class JenkinsClaims {
  private JenkinsClaims() {}

  /** The claims, in a fixed order; null values are left out. */
  @NonNull
  static Map<String, String> of(@CheckForNull String controllerUrl, @NonNull String job, int buildNumber,
      @CheckForNull String buildPath, @CheckForNull String node) {
    Map<String, String> claims = new LinkedHashMap<>();
    claims.put("ci", "jenkins");
    if (controllerUrl != null) {
      claims.put("jenkins_url", controllerUrl);
    }
    claims.put("jenkins_job", job);
    claims.put("jenkins_build_number", Integer.toString(buildNumber));
    if (controllerUrl != null && buildPath != null) {
      claims.put("jenkins_build_url", controllerUrl + buildPath);
    }
    if (node != null) {
      claims.put("jenkins_node", node);
    }
    return claims;
  }

  /** {@code --claim NAME=VALUE} for each claim. */
  @NonNull
  static List<String> options(@NonNull Map<String, String> claims) {
    List<String> options = new ArrayList<>();
    claims.forEach((name, value) -> {
      options.add("--claim");
      options.add(name + "=" + value);
    });
    return List.copyOf(options);
  }
}
