package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import edu.umd.cs.findbugs.annotations.SuppressFBWarnings;
import hudson.Launcher;
import hudson.model.Computer;
import hudson.model.Item;
import hudson.model.Node;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.User;
import hudson.security.AccessDeniedException3;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import jenkins.model.Jenkins;
import jenkins.model.RunAction2;
import org.kohsuke.stapler.HttpResponse;
import org.kohsuke.stapler.HttpResponses;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.interceptor.RequirePOST;

/**
 * The build page's approvals for one {@code taskbound} block or freestyle build (docs/jenkins.md,
 * "Approvals"): lists the requests the session holds for a person, with Approve and Deny buttons. The
 * permission model is the {@code input} step's ({@link ApproverList}): {@link Item#BUILD} on the job,
 * or, when the block names approvers, only those users and members of those groups. What the page
 * shows of a request (target, reason, rule) is escaped by the core ({@code approvals --json}: control,
 * C1, format and bidi characters as visible escapes, never cut), then HTML-escaped by Jelly. Answers are POST only ({@link RequirePOST}, with Jenkins' crumb) and go
 * to the session's approvals socket on its node through the core's CLI ({@code taskbound approve|deny
 * --channel jenkins --on-behalf-of USER}, {@code taskbound approvals --json}), run on that node as the
 * agent's user, who owns the session; the session records the Jenkins user with channel {@code jenkins}.
 * Decides nothing itself.
 */
public final class ApprovalAction implements RunAction2, Serializable {
  private static final long serialVersionUID = 1L;

  private final String node;
  private final String handle;
  private final String java;
  private final String jar;
  private final List<String> approvers;
  @SuppressFBWarnings(value = "SE_TRANSIENT_FIELD_NOT_RESTORED", justification = "set again by onLoad")
  private transient Run<?, ?> run;

  /**
   * @param node the node the session runs on ({@code NODE_NAME}; {@code built-in} for the controller)
   * @param handle the session's handle on that node
   * @param java the node's java, as the block runs the core with
   * @param jar the node's copy of the core jar
   * @param approvers the Jenkins user ids and group names who may answer ({@link ApproverList#parse});
   *     empty: anyone with {@link Item#BUILD}
   */
  public ApprovalAction(@NonNull String node, @NonNull String handle, @NonNull String java, @NonNull String jar,
      @NonNull List<String> approvers) {
    this.node = Objects.requireNonNull(node, "node");
    this.handle = new SessionHandle(handle).path();
    this.java = Objects.requireNonNull(java, "java");
    this.jar = Objects.requireNonNull(jar, "jar");
    this.approvers = List.copyOf(approvers);
  }

  @Override
  public void onAttached(Run<?, ?> r) {
    this.run = r;
  }

  @Override
  public void onLoad(Run<?, ?> r) {
    this.run = r;
  }

  @Override
  @CheckForNull
  public String getIconFileName() {
    return run != null && run.isBuilding() ? "symbol-details" : null;
  }

  @Override
  public String getDisplayName() {
    return "Taskbound approvals";
  }

  /**
   * One page per block: a build with several blocks (in sequence or in parallel) has an action for
   * each, and a shared name would reach only the first. The session's id (its handle's last part).
   */
  @Override
  public String getUrlName() {
    return "taskbound-approvals-" + handle.substring(handle.lastIndexOf('/') + 1);
  }

  /** Who may answer: {@code Item.BUILD on the job}, or the named approvers. */
  public String getWhoMayAnswer() {
    return ApproverList.describe(approvers);
  }

  /**
   * The requests waiting now, each field as the core shows it to a person (escaped by its {@code
   * SafeText}, never the raw text), or an empty list when the session takes no approvals.
   */
  public List<Map<String, String>> getPending() {
    try {
      Core r = core(List.of("approvals", "--session", handle, "--json"));
      List<Map<String, String>> out = new ArrayList<>();
      if (r.status != 0) {
        return out;
      }
      for (String line : r.stdout.lines().filter(l -> l.startsWith("{")).toList()) {
        net.sf.json.JSONObject n = net.sf.json.JSONObject.fromObject(line);
        Map<String, String> m = new LinkedHashMap<>();
        for (Object key : n.keySet()) {
          m.put(key.toString(), n.optString(key.toString(), ""));
        }
        out.add(m);
      }
      return out;
    } catch (IOException | RuntimeException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  /**
   * Approves or denies request {@code request}: POST only, by someone who may answer.
   *
   * @throws AccessDeniedException3 without the permission, or when not a named approver
   */
  @RequirePOST
  public HttpResponse doAnswer(@QueryParameter String request, @QueryParameter boolean grant, @QueryParameter String reason)
      throws IOException, InterruptedException {
    String who = checkMayAnswer();
    if (request == null || !REQUEST_ID.matcher(request).matches()) {
      return HttpResponses.error(400, "not a request id; accepted: approval-N as the page lists it");
    }
    Core r = core(List.of(grant ? "approve" : "deny", "--session", handle, request, "--reason",
        reason == null ? "" : reason, "--channel", "jenkins", "--on-behalf-of", who));
    if (r.status != 0) {
      return HttpResponses.error(409, "could not answer " + request + ": " + r.stderr.strip());
    }
    return HttpResponses.redirectToDot();
  }

  /** The current user's id once checked; refuses as the {@code input} step does ({@link ApproverList}). */
  String checkMayAnswer() {
    Objects.requireNonNull(run, "the action is not attached to a build");
    run.getParent().checkPermission(Item.READ);
    org.springframework.security.core.Authentication auth = Jenkins.getAuthentication2();
    User user = User.current();
    String id = user == null ? "anonymous" : user.getId();
    hudson.security.SecurityRealm realm = Jenkins.get().getSecurityRealm();
    List<String> groups = auth.getAuthorities().stream()
        .map(org.springframework.security.core.GrantedAuthority::getAuthority).filter(Objects::nonNull).toList();
    if (!ApproverList.mayAnswer(approvers, run.getParent().hasPermission(Item.BUILD), id, groups,
        (named, user2) -> realm.getUserIdStrategy().equals(named, user2),
        (named, group) -> realm.getGroupIdStrategy().equals(named, group))) {
      throw new AccessDeniedException3(auth, Item.BUILD);
    }
    return id;
  }

  /** The ids the session gives its requests ({@code approval-1}, ...). */
  private static final Pattern REQUEST_ID = Pattern.compile("approval-[0-9]{1,9}");

  /** What one core command on the session's node printed and returned. */
  private record Core(int status, String stdout, String stderr) {}

  /** Runs {@code java -jar <core> ARGS} on the session's node (no shell: each argument as given). */
  private Core core(List<String> args) throws IOException, InterruptedException {
    Computer c = Jenkins.get().getComputer(node.equals("built-in") ? "" : node);
    Node n = c == null ? null : c.getNode();
    if (n == null || c.getChannel() == null) {
      throw new IOException("node " + node + " is offline; its session takes no approvals from here");
    }
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar));
    cmd.addAll(args);
    // the launcher expands $NAME in each argument with the node's environment: a reason or an id
    // holding ${JENKINS_SECRET} would be answered with its value
    cmd.replaceAll(DurableShellLaunch::escape);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Launcher launcher = n.createLauncher(TaskListener.NULL);
    int status = launcher.launch().cmds(cmd).stdout(out).stderr(err).quiet(true).join();
    return new Core(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
