package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.e2e.CredentialApis.taskbound;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.cli.TaskboundCli;
import dev.taskbound.core.e2e.CredentialApis.Result;
import dev.taskbound.core.session.CredentialIssue;
import dev.taskbound.core.testing.FileGrep;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: the controller's issue journal keeps the GitHub installation token (GitHub revokes it
 * only with itself, {@code DELETE /installation/token}) sealed with a key the controller holds
 * ({@code TASKBOUND_JOURNAL_KEY}) and the journal does not. The file on disk holds no token; the
 * backstop's {@code credentials revoke} after a crash opens it with the key and deletes it; no key or
 * another key fails closed, names the entry and keeps it for a retry. GitHub is a loopback WireMock
 * stand-in; the DELETE is asserted with the exact token it carries.
 */
@Timeout(120)
class SealedIssueJournalTest {
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final String KEY = key((byte) 7);
  private static final String OTHER_KEY = key((byte) 9);

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private Path policy;

  @BeforeEach
  void stubGithub() throws IOException {
    github = apis.github();
    GithubStubs.stubApp(github);
    policy = apis.writeTask(work.resolve("task.yml"), "");
  }

  @Test
  void theJournalOnDiskHoldsNoTokenAndTheBackstopsRevokeAfterACrashDeletesItWithTheToken() throws Exception {
    Path journal = work.resolve("controller").resolve("issued");
    Files.createDirectories(journal.getParent());

    Result issue = taskbound(controllerEnv(KEY), "credentials", "issue", "--task", "IT-13", "--policy", policy.toString(),
        "--handoff", "-", "--journal", journal.toString());

    assertThat(issue.status()).as(issue.err()).isZero();
    assertThat(issue.out()).contains(TOKEN);
    assertThat(Files.readString(journal.resolve(CredentialIssue.FILE))).contains("\"sealed\"").doesNotContain(TOKEN)
        .doesNotContain("api_url");
    assertThat(FileGrep.filesContaining(TOKEN, work)).as("no file holds the token").isEmpty();
    github.verify(0, deleteRequestedFor(anyUrl()));

    // The controller died before the block's end: the backstop, a new process, has the journal and the key only.
    Result revoke = taskbound(backstopEnv(KEY), "credentials", "revoke", "--journal", journal.toString());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
    github.verify(1, deleteRequestedFor(anyUrl()));
    assertThat(journal).doesNotExist();
    assertThat(revoke.err()).doesNotContain(TOKEN).doesNotContain(KEY);
  }

  @Test
  void aWrongKeyFailsClosedNamingTheEntryAndKeepsItUntilTheRightKeyRevokes() throws Exception {
    Path journal = work.resolve("issued");
    Result issue = taskbound(controllerEnv(KEY), "credentials", "issue", "--task", "IT-13", "--policy", policy.toString(),
        "--handoff", "-", "--journal", journal.toString());
    assertThat(issue.status()).as(issue.err()).isZero();

    Result wrong = taskbound(backstopEnv(OTHER_KEY), "credentials", "revoke", "--journal", journal.toString());

    assertThat(wrong.status()).isEqualTo(ExitCodes.TEARDOWN);
    assertThat(wrong.err()).contains("journal entry 1 (revoke-github-token) cannot be opened with the journal key"
        + " given (a wrong key, or the entry was altered); accepted: the TASKBOUND_JOURNAL_KEY that 'credentials issue'"
        + " ran with").contains("retry with: taskbound credentials revoke --journal " + journal)
        .contains("  teardown failed; retry with: taskbound credentials revoke --journal " + journal)
        .doesNotContain("teardown --session").doesNotContain(TOKEN).doesNotContain(OTHER_KEY);
    github.verify(0, deleteRequestedFor(anyUrl()));
    assertThat(journal.resolve(CredentialIssue.FILE)).exists();

    Result right = taskbound(backstopEnv(KEY), "credentials", "revoke", "--journal", journal.toString());

    assertThat(right.status()).as(right.err()).isZero();
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
    assertThat(journal).doesNotExist();
  }

  @Test
  void aRevokeWithoutTheKeySaysTheTokenIsSealedAndSendsNothing() throws Exception {
    Path journal = work.resolve("issued");
    Result issue = taskbound(controllerEnv(KEY), "credentials", "issue", "--task", "IT-13", "--policy", policy.toString(),
        "--handoff", "-", "--journal", journal.toString());
    assertThat(issue.status()).as(issue.err()).isZero();

    Result none = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", journal.toString());

    assertThat(none.status()).isEqualTo(ExitCodes.TEARDOWN);
    assertThat(none.err()).contains("journal entry 1 (revoke-github-token) is sealed and no journal key was given;"
        + " accepted: the TASKBOUND_JOURNAL_KEY that 'credentials issue' ran with, in the environment");
    github.verify(0, deleteRequestedFor(anyUrl()));
    assertThat(journal.resolve(CredentialIssue.FILE)).exists();
  }

  @Test
  void aJournalWhoseApiUrlWasChangedIsRefusedAndTheTokenGoesNowhere() throws Exception {
    Path journal = issue("issued");
    try (ServerSocketChannel listener = ServerSocketChannel.open()) {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      listener.configureBlocking(false);
      String elsewhere = "http://127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort();
      // Whoever can write the journal appends a handle line naming another API (review finding MEDIUM-3).
      Files.writeString(journal.resolve(CredentialIssue.FILE),
          "{\"op\":\"handle\",\"id\":1,\"handle\":{\"api_url\":\"" + elsewhere + "\"}}\n", StandardOpenOption.APPEND);

      Result revoke = taskbound(backstopEnv(KEY), "credentials", "revoke", "--journal", journal.toString());

      assertThat(revoke.status()).as(revoke.err()).isEqualTo(ExitCodes.TEARDOWN);
      assertThat(revoke.err()).contains("journal entry 1 (revoke-github-token) has fields beside its seal (the entry was"
          + " altered); accepted: the one field 'sealed' as 'credentials issue' writes it")
          .contains("  teardown failed; retry with: taskbound credentials revoke --journal " + journal)
          .doesNotContain(TOKEN);
      assertThat(listener.accept()).as("a connection to the address the journal was changed to").isNull();
    }
    github.verify(0, deleteRequestedFor(anyUrl()));
    assertThat(journal.resolve(CredentialIssue.FILE)).exists();
  }

  @Test
  void aSealedEntryCopiedIntoAnotherJournalIsRefused() throws Exception {
    Path first = issue("first");
    Path second = issue("second");
    // The same key seals every journal: the second journal's entries replaced by the first's.
    Files.copy(first.resolve(CredentialIssue.FILE), second.resolve(CredentialIssue.FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    Result revoke = taskbound(backstopEnv(KEY), "credentials", "revoke", "--journal", second.toString());

    assertThat(revoke.status()).as(revoke.err()).isEqualTo(ExitCodes.TEARDOWN);
    assertThat(revoke.err()).contains("journal entry 1 (revoke-github-token) cannot be opened with the journal key given"
        + " (a wrong key, or the entry was altered)").doesNotContain(TOKEN);
    github.verify(0, deleteRequestedFor(anyUrl()));

    Result own = taskbound(backstopEnv(KEY), "credentials", "revoke", "--journal", first.toString());

    assertThat(own.status()).as(own.err()).isZero();
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token")));
  }

  private Path issue(String name) {
    Path journal = work.resolve(name);
    Result issue = taskbound(controllerEnv(KEY), "credentials", "issue", "--task", "IT-13", "--policy", policy.toString(),
        "--handoff", "-", "--journal", journal.toString());
    assertThat(issue.status()).as(issue.err()).isZero();
    return journal;
  }

  @Test
  void aHandoffThatCannotBeWrittenRevokesTheSealedTokenInTheSameProcess() throws Exception {
    Path journal = work.resolve("issued");
    PrintWriter closedPipe = new PrintWriter(new Writer() {
      @Override
      public void write(char[] buffer, int offset, int length) throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void flush() throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void close() {}
    });
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(new String[] {"credentials", "issue", "--task", "IT-13", "--policy",
        policy.toString(), "--handoff", "-", "--journal", journal.toString()}, closedPipe, new PrintWriter(err),
        controllerEnv(KEY));

    assertThat(status).as(err.toString()).isEqualTo(ExitCodes.CREDENTIALS);
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
    assertThat(journal).doesNotExist();
  }

  @Test
  void aKeyThatIsNotOneIsRefusedBeforeAnythingIsIssuedWithoutEchoingIt() {
    String notAKey = "SENTINEL-not-base64-key";

    Result issue = taskbound(controllerEnv(notAKey), "credentials", "issue", "--task", "IT-13", "--policy",
        policy.toString(), "--handoff", "-", "--journal", work.resolve("issued").toString());

    assertThat(issue.status()).isEqualTo(ExitCodes.USAGE);
    assertThat(issue.out()).isEmpty();
    assertThat(issue.err()).contains("TASKBOUND_JOURNAL_KEY: not a journal key; accepted: 32 random bytes in base64"
        + " (44 characters, as 'head -c 32 /dev/urandom | base64' prints)").doesNotContain(notAKey);
    github.verify(0, anyRequestedFor(anyUrl()));
    assertThat(work.resolve("issued")).doesNotExist();
  }

  /** The controller: the App's key and the journal key, in its process environment only. */
  private Map<String, String> controllerEnv(String journalKey) {
    return apis.githubAppEnv(work.resolve("controller-home"), journalKey, APP_KEY);
  }

  /** A revocation needs no App key: the token revokes itself, once opened with the journal key. */
  private Map<String, String> backstopEnv(String journalKey) {
    return CredentialApis.homeEnv(work.resolve("controller-home"), journalKey);
  }

  private static String key(byte fill) {
    byte[] bytes = new byte[32];
    java.util.Arrays.fill(bytes, fill);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
