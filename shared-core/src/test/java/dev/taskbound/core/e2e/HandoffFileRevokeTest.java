package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.e2e.CredentialApis.taskbound;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.e2e.CredentialApis.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code credentials revoke} deletes the hand-off file its issue wrote ({@code --handoff FILE}) when no
 * session read it (the agent's job died, or the file was copied to the agent and this is the
 * controller's original), and only that file: gone, replaced or a link in its place, it is left alone
 * and the output says why. GitHub is a loopback WireMock stand-in.
 */
@Timeout(120)
class HandoffFileRevokeTest {
  private static final KeyPair APP_KEY = TestKeys.rsa();

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private Path policy;
  private Path handoff;

  @BeforeEach
  void issueTheHandoff() throws Exception {
    GithubStubs.stubApp(apis.github());
    policy = apis.writeTask(work.resolve("task.yml"), "");
    handoff = Files.createDirectories(work.resolve("issuer")).resolve("handoff.json");
  }

  @Test
  void aHandoffNoSessionReadIsDeletedByTheRevokeWhichSaysSo() throws Exception {
    Path journal = issue(null);

    Result revoke = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", journal.toString());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    assertThat(handoff).doesNotExist();
    assertThat(revoke.err()).containsPattern("teardown remove-handoff-file +ok\n");
    assertThat(journal).doesNotExist();
    apis.github().verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
  }

  @Test
  void aSealedJournalDeletesTheHandoffWithTheKeyAndKeepsTheEntryWithoutIt() throws Exception {
    String key = Base64.getEncoder().encodeToString(new byte[32]);
    Path journal = issue(key);
    assertThat(Files.readString(journal.resolve("issued-journal.jsonl"))).doesNotContain(handoff.toString());

    Result without = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", journal.toString());

    assertThat(without.status()).isEqualTo(123);
    assertThat(without.err()).contains("teardown remove-handoff-file    failed (SessionException: journal entry 2"
        + " (remove-handoff-file) is sealed and no journal key was given");
    assertThat(handoff).exists();

    Result with = taskbound(backstopEnv(key), "credentials", "revoke", "--journal", journal.toString());

    assertThat(with.status()).as(with.err()).isZero();
    assertThat(with.err()).containsPattern("teardown remove-handoff-file +ok\n");
    assertThat(handoff).doesNotExist();
  }

  @Test
  void aHandoffASessionAlreadyReadAndDeletedIsNothingToDo() throws Exception {
    Path journal = issue(null);
    Files.delete(handoff); // the session's open reads and deletes it

    Result revoke = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", journal.toString());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    assertThat(revoke.err()).contains("teardown remove-handoff-file    skipped (" + handoff.toAbsolutePath()
        + " is gone (a session read it, or it was moved))");
  }

  @Test
  void aFileOrLinkPutWhereTheHandoffWasIsLeftAlone() throws Exception {
    Path journal = issue(null);
    Files.delete(handoff);
    Files.writeString(handoff, "the next job's hand-off"); // the same path, maybe the same inode number
    Path second = issue(null, work.resolve("issuer").resolve("second.json"));
    Path victim = Files.writeString(work.resolve("victim.txt"), "keep");
    Files.delete(work.resolve("issuer").resolve("second.json"));
    Files.createSymbolicLink(work.resolve("issuer").resolve("second.json"), victim);

    Result revoke = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", journal.toString());
    Result revokeSecond = taskbound(backstopEnv(null), "credentials", "revoke", "--journal", second.toString());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    assertThat(revoke.err()).contains("teardown remove-handoff-file    skipped (" + handoff.toAbsolutePath()
        + " is no longer the hand-off this issue wrote (another file, or changed since): left as it is)");
    assertThat(handoff).hasContent("the next job's hand-off");
    assertThat(revokeSecond.status()).as(revokeSecond.err()).isZero();
    assertThat(revokeSecond.err()).contains("is no longer the hand-off this issue wrote");
    assertThat(work.resolve("issuer").resolve("second.json")).isSymbolicLink();
    assertThat(victim).hasContent("keep");
  }

  @Test
  void aHandoffThatCannotBeCreatedRevokesWhatWasIssuedAndLeavesNoJournal() {
    Path nowhere = work.resolve("no-such-directory").resolve("handoff.json");
    Path journal = work.resolve("issued");

    Result issue = taskbound(controllerEnv(null), "credentials", "issue", "--task", "T-43", "--policy",
        policy.toString(), "--handoff", nowhere.toString(), "--journal", journal.toString());

    assertThat(issue.status()).isEqualTo(122);
    assertThat(issue.err()).contains("handoff: write the credential hand-off to " + nowhere + " failed: cannot create it"
        + " (NoSuchFileException)").doesNotContain(TOKEN).doesNotContain("retry with");
    assertThat(issue.out()).isEmpty();
    apis.github().verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
    assertThat(journal).doesNotExist();
  }

  private Path issue(String journalKey) {
    return issue(journalKey, handoff);
  }

  private Path issue(String journalKey, Path file) {
    Result issue = taskbound(controllerEnv(journalKey), "credentials", "issue", "--task", "T-43", "--policy",
        policy.toString(), "--handoff", file.toString());
    assertThat(issue.status()).as(issue.err()).isZero();
    assertThat(file).exists();
    apis.github().verify(0, deleteRequestedFor(anyUrl()));
    return Path.of(issue.out().strip());
  }

  /** The controller: the App's key, in its process environment only. */
  private Map<String, String> controllerEnv(String journalKey) {
    return apis.githubAppEnv(work.resolve("controller-home"), journalKey, APP_KEY);
  }

  private Map<String, String> backstopEnv(String journalKey) {
    return CredentialApis.homeEnv(work.resolve("controller-home"), journalKey);
  }
}
