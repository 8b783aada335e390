package io.jenkins.plugins.taskbound;

import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardCredentials;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.FilePath;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.remoting.VirtualChannel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenkins.model.Jenkins;
import net.sf.json.JSONArray;
import net.sf.json.JSONObject;
import org.jenkinsci.plugins.plaincredentials.StringCredentials;

/**
 * Credentials held by the controller (issue 13): the GitHub App key and the Vault login stay in the
 * Jenkins Credentials store and in the controller's memory. For each block the controller runs the
 * core's {@code taskbound credentials issue} itself, with those secrets in the process's environment
 * only (never on a command line), for the block's checked policy files; the issued values alone go to
 * the agent, on {@code session start --credentials-handoff -}'s standard input: no file of the
 * hand-off exists on the agent, nor on the controller: the core writes it to its standard output
 * ({@code --handoff -}), which the controller reads into a {@link hudson.util.Secret}. The controller
 * keeps the issue's revocation journal under {@code $JENKINS_HOME/taskbound/credentials} (on disk by
 * design, to outlive a crash), its GitHub token sealed with the global configuration's journal key
 * ({@code TASKBOUND_JOURNAL_KEY}, a {@link hudson.util.Secret}), records it in the build before the
 * core runs, and revokes from it at block end, when the issue times out or is interrupted, and from
 * the backstop ({@code taskbound credentials revoke}).
 */
final class ControllerCredentials {
  /** How long the controller waits for the core to issue or revoke (the brokers retry transient faults). */
  private static final long TIMEOUT_SECONDS = 180;
  /** How long a stopped core gets to exit before it is killed (its journal lock goes with it). */
  private static final long STOP_SECONDS = 10;
  /** The core's variable for the journal key ({@code dev.taskbound.core.session.JournalKey#VARIABLE}). */
  private static final String JOURNAL_KEY = "TASKBOUND_JOURNAL_KEY";

  /**
   * What the controller issued for a block.
   *
   * @param handoff the hand-off, for {@code session start}'s standard input; held encrypted, never written
   * @param journal the controller's journal directory, for the revocation
   * @param values the issued values (and the variables carrying them), to mask in the build log
   */
  record Issued(@NonNull hudson.util.Secret handoff, @NonNull String journal, @NonNull List<String> values) {}

  private ControllerCredentials() {}

  /** Whether a GitHub App or a Vault login is configured for the controller to issue with. */
  static boolean configured() {
    TaskboundGlobalConfiguration c = TaskboundGlobalConfiguration.get();
    return c.getGithubAppCredentialsId() != null || c.getVaultCredentialsId() != null;
  }

  /**
   * Issues what the block's effective policy grants, on the controller, and hands it to the agent.
   *
   * @param checked the block's command on the agent, its policies the checked snapshots
   * @param ceilingText the global ceiling as the controller read it for this block (null: none); never
   *     the copy on the node, which any process running as the node's user could rewrite
   * @param toolDir the step's own directory on the agent ({@code <workspace>@tmp/taskbound}): its channel
   *     reads the block's checked policy files; nothing is written there
   * @param action the block's action: the journal is recorded in it (and the build saved) before the
   *     core runs, so the backstop revokes it if the controller dies mid-issue; cleared when nothing
   *     is left to revoke
   * @return null when nothing is configured or the policy grants no credentials
   * @throws AbortException with the core's last line when issuing fails, or when the core does not
   *     finish in time (what was issued is revoked)
   */
  @CheckForNull
  static Issued issue(@NonNull Run<?, ?> run, @NonNull EnvelopeCommand checked, @CheckForNull String ceilingText,
      @NonNull FilePath toolDir, @NonNull TaskboundAction action, @NonNull TaskListener listener)
      throws IOException, InterruptedException {
    if (!configured()) {
      return null;
    }
    Map<String, String> secrets = issuerEnvironment(run);
    Path work = Files.createDirectories(root().resolve("issue"));
    Path dir = Files.createTempDirectory(work, "block-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    try {
      VirtualChannel channel = toolDir.getChannel();
      List<String> policies = new ArrayList<>();
      int i = 0;
      for (String policy : checked.policies()) {
        policies.add(copyHere(new FilePath(channel, policy), dir.resolve("policy-" + i++ + ".yml")));
      }
      // The ceiling bounds what the App and Vault issue: the controller's own text, written here. The
      // session on the node computes its effective policy from the node's copy and refuses a hand-off
      // whose scopes differ, so a rewritten copy there makes the session fail, not widen.
      String ceiling = ceilingText == null ? null : writePrivate(dir.resolve("ceiling.yml"),
          ceilingText.getBytes(StandardCharsets.UTF_8));
      Path journal = Files.createDirectories(root().resolve("credentials")).resolve(journalName());
      EnvelopeCommand here = new EnvelopeCommand(controllerJava(), controllerJar(), checked.task(), policies, ceiling,
          checked.profile(), checked.sandbox(), checked.image(), checked.ttl(), checked.evidenceDir());
      // Recorded before the core runs: if the controller dies mid-issue, the backstop revokes from it.
      action.credentialsIssued(journal.toString());
      run.save();
      ControllerCore.Result result;
      try {
        result = runCore(here.credentialsIssue(root().resolve("credentials").toString(), journal.toString()),
            withJournalKey(secrets));
      } catch (InterruptedException e) {
        // Aborted mid-issue: runCore stopped the core; revoke what it had journalled, then give up.
        revokeStopped(run, journal, action, listener);
        throw e;
      }
      listener.getLogger().print(result.err());
      if (result.timedOut()) {
        boolean revoked = revokeStopped(run, journal, action, listener);
        throw new AbortException("taskbound: the core on the controller did not finish issuing within " + TIMEOUT_SECONDS
            + " s; it was stopped and " + (revoked ? "what it had issued is revoked"
            : "revoking what it had issued failed; retry on the controller with: "
                + String.join(" ", revokeCommandFor(journal.toString()))));
      }
      if (!Files.exists(journal)) {
        action.credentialsRevoked(); // nothing issued, or the core revoked it all and removed the journal
        run.save();
      }
      if (result.status() != 0) {
        List<String> lines = result.err().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
        String meaning = EnvelopeExit.message(result.status());
        throw new AbortException("taskbound: the controller could not issue the block's credentials (exit "
            + result.status() + "): " + (lines.isEmpty() ? "no message" : lines.get(lines.size() - 1))
            + (meaning == null ? "" : "\n" + meaning));
      }
      java.util.Optional<String> handoff;
      try {
        handoff = HandoffOutput.read(result.out());
      } catch (IllegalStateException e) {
        // Fail closed: whatever the core issued is in the journal; revoke it before failing the step.
        if (Files.isDirectory(journal) && revoke(run, journal.toString(), listener)) {
          action.credentialsRevoked();
          run.save();
        }
        throw new AbortException(e.getMessage());
      }
      if (handoff.isEmpty()) {
        return null; // the policy grants nothing: the session opens without a hand-off
      }
      return new Issued(hudson.util.Secret.fromString(handoff.get()), journal.toString(), values(handoff.get()));
    } finally {
      deleteTree(dir); // the block's policy copies; no hand-off is ever written here
    }
  }

  /**
   * Revokes what the controller issued for a block ({@code taskbound credentials revoke}); the core's
   * lines go to the build log. A lookup that fails (a credential deleted since) still revokes the
   * GitHub token, which needs only itself, and fails the Vault steps naming what is missing.
   *
   * @return whether everything was revoked
   */
  static boolean revoke(@NonNull Run<?, ?> run, @NonNull String journal, @NonNull TaskListener listener)
      throws IOException, InterruptedException {
    if (!Files.exists(Path.of(journal))) {
      return true; // recorded before an issue that never started or created nothing: nothing to revoke
    }
    Map<String, String> secrets;
    try {
      secrets = issuerEnvironment(run);
    } catch (AbortException e) {
      listener.getLogger().println(e.getMessage() + "; revoking without it");
      secrets = Map.of();
    }
    ControllerCore.Result result = runCore(EnvelopeCommand.credentialsRevoke(controllerJava(), controllerJar(), journal),
        withJournalKey(secrets));
    listener.getLogger().print(result.err());
    if (result.timedOut() || result.status() != 0) {
      listener.getLogger().println("taskbound: the controller's revocation exited " + result.status() + "; retry on the"
          + " controller with: " + String.join(" ", revokeCommandFor(journal)));
    }
    return result.status() == 0;
  }

  /**
   * Revokes from the journal of an issue whose core was stopped (timeout, abort); the core's journal
   * lock went with its process. Clears the build's record when everything is revoked.
   */
  private static boolean revokeStopped(Run<?, ?> run, Path journal, TaskboundAction action, TaskListener listener)
      throws IOException, InterruptedException {
    listener.getLogger().println("taskbound: the controller's issue was stopped; revoking what it had issued");
    boolean revoked = revoke(run, journal.toString(), listener);
    if (revoked) {
      action.credentialsRevoked();
      run.save();
    }
    return revoked;
  }

  /** {@code secrets} and the journal key, which seals the GitHub token in the journal on disk. */
  private static Map<String, String> withJournalKey(Map<String, String> secrets) {
    Map<String, String> env = new LinkedHashMap<>(secrets);
    env.put(JOURNAL_KEY, TaskboundGlobalConfiguration.get().journalKey());
    return env;
  }

  /** The command an administrator runs on the controller to retry a revocation (with the TASKBOUND_* environment). */
  @NonNull
  static List<String> revokeCommandFor(@NonNull String journal) {
    try {
      return EnvelopeCommand.credentialsRevoke(controllerJava(), controllerJar(), journal);
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return EnvelopeCommand.credentialsRevoke("java", "taskbound.jar", journal);
    }
  }

  /**
   * The core's host configuration, from the Credentials store as the build sees it: {@code
   * TASKBOUND_GITHUB_APP_*} and {@code TASKBOUND_VAULT_*}. Only ever a process environment.
   *
   * @throws AbortException naming the id that is missing or of a type that is not accepted
   */
  @NonNull
  static Map<String, String> issuerEnvironment(@NonNull Run<?, ?> run) throws AbortException {
    TaskboundGlobalConfiguration c = TaskboundGlobalConfiguration.get();
    Map<String, String> env = new LinkedHashMap<>();
    if (c.getGithubAppCredentialsId() != null) {
      TaskboundGitHubAppCredentials app = CredentialsProvider.findCredentialById(c.getGithubAppCredentialsId(),
          TaskboundGitHubAppCredentials.class, run);
      if (app == null || app.getAppId() == null) {
        throw new AbortException("taskbound: the GitHub App credentials '" + c.getGithubAppCredentialsId() + "' (Manage"
            + " Jenkins » System » Taskbound) are not in the Credentials store this build sees, or have no App ID;"
            + " accepted: a 'Taskbound GitHub App' credential");
      }
      env.put("TASKBOUND_GITHUB_APP_ID", app.getAppId());
      env.put("TASKBOUND_GITHUB_APP_KEY", app.getPrivateKey().getPlainText());
      if (app.getApiUrl() != null) {
        env.put("TASKBOUND_GITHUB_API_URL", app.getApiUrl());
      }
    }
    if (c.getVaultCredentialsId() != null) {
      if (c.getVaultAddress() == null) {
        throw new AbortException("taskbound: Vault login credentials are configured but no Vault address; set it in"
            + " Manage Jenkins » System » Taskbound");
      }
      StandardCredentials login = CredentialsProvider.findCredentialById(c.getVaultCredentialsId(),
          StandardCredentials.class, run);
      env.put("TASKBOUND_VAULT_ADDR", c.getVaultAddress());
      if (c.getVaultNamespace() != null) {
        env.put("TASKBOUND_VAULT_NAMESPACE", c.getVaultNamespace());
      }
      if (login instanceof StringCredentials text && c.getVaultJwtRole() != null) {
        // A JWT (stored, or an id token credential minting a fresh one at each getSecret): the controller
        // logs in with it, at issue and again at revocation; the node gets only what the login issued.
        env.putAll(VaultLoginEnvironment.jwt(c.getVaultJwtRole(), text.getSecret().getPlainText(),
            c.getVaultAuthMount()));
      } else if (login instanceof StringCredentials token) {
        env.putAll(VaultLoginEnvironment.token(token.getSecret().getPlainText()));
      } else if (login instanceof StandardUsernamePasswordCredentials appRole) {
        env.putAll(VaultLoginEnvironment.appRole(appRole.getUsername(), appRole.getPassword().getPlainText(),
            c.getVaultAuthMount()));
      } else {
        throw new AbortException("taskbound: the Vault login credentials '" + c.getVaultCredentialsId() + "' are "
            + (login == null ? "not in the Credentials store this build sees" : "of another type")
            + "; accepted: secret text (a Vault token, or a JWT when a Vault JWT role is set) or username with"
            + " password (AppRole role id and secret id)");
      }
    }
    return env;
  }

  /**
   * The values a hand-off carries (each credential's value and the variables that carry it), read
   * with json-lib on the controller; never logged.
   */
  @NonNull
  static List<String> values(@NonNull String handoff) {
    List<String> values = new ArrayList<>();
    JSONArray credentials = JSONObject.fromObject(handoff).optJSONArray("credentials");
    if (credentials == null) {
      return values;
    }
    for (int i = 0; i < credentials.size(); i++) {
      JSONObject c = credentials.getJSONObject(i);
      values.add(c.optString("value", ""));
      JSONObject env = c.optJSONObject("environment");
      if (env != null) {
        for (Object key : env.keySet()) {
          values.add(env.optString(String.valueOf(key), ""));
        }
      }
    }
    values.removeIf(String::isBlank);
    return List.copyOf(new java.util.LinkedHashSet<>(values));
  }

  /** A new journal directory's name; the core creates it (0700) and refuses one that exists. */
  private static String journalName() {
    byte[] random = new byte[12];
    new java.security.SecureRandom().nextBytes(random);
    return "credentials-issued-" + java.util.HexFormat.of().formatHex(random);
  }

  /** {@code $JENKINS_HOME/taskbound}: the controller's copy of the core and its journals. */
  private static Path root() {
    return Jenkins.get().getRootDir().toPath().resolve("taskbound");
  }

  private static String controllerJava() {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  }

  /** The controller's copy of the bundled core, in the same digest-keyed cache the agents use. */
  private static String controllerJar() throws IOException, InterruptedException {
    return EnvelopeInputs.cachedJar(new FilePath(Jenkins.get().getRootDir())).getRemote();
  }

  private static String copyHere(FilePath source, Path target) throws IOException, InterruptedException {
    try (InputStream in = source.read();
        OutputStream out = Files.newOutputStream(Files.createFile(target, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"))), StandardOpenOption.WRITE)) {
      in.transferTo(out);
    }
    return target.toString();
  }

  private static String writePrivate(Path target, byte[] bytes) throws IOException {
    Files.write(Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
        bytes, StandardOpenOption.WRITE);
    return target.toString();
  }

  /** Runs the core on the controller with {@code secrets} added to a minimal environment; never a shell. */
  private static ControllerCore.Result runCore(List<String> command, Map<String, String> secrets)
      throws IOException, InterruptedException {
    Map<String, String> env = new LinkedHashMap<>();
    String path = System.getenv("PATH");
    env.put("PATH", path == null ? "/usr/bin:/bin" : path);
    env.put("TASKBOUND_HOME", root().resolve("home").toString());
    env.putAll(secrets);
    return ControllerCore.run(command, env, Duration.ofSeconds(TIMEOUT_SECONDS), Duration.ofSeconds(STOP_SECONDS));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

}
