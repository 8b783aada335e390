package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.ToolRule;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 16: how the gate decides an agent's tool call reported by its hooks. */
class ToolGateTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RuleSet EGRESS = RuleSet.of(List.of(EgressRule.parse("api.anthropic.com")), List.of());

  private static ToolGate gate(ToolRule... rules) {
    GateRules none = GateRules.none();
    return new ToolGate(none, new ActionRules(none, "T-1"), List.of(rules), EGRESS);
  }

  private static ToolCall bash(String command, String branch) throws Exception {
    return ClaudeCodeTools.of("toolu_1", "Bash", JSON.readTree(JSON.writeValueAsString(java.util.Map.of("command", command))), branch);
  }

  @Test
  void aHarmlessCommandIsAllowedByDefault() throws Exception {
    ToolGate.Verdict v = gate().decide(bash("ls -la && printf 'x' > a.txt", ""));

    assertThat(v.decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(v.rule()).isEqualTo("default");
  }

  @Test
  void aCommandRuleMatchesASimpleCommandInsideALongerLineAndItsReasonIsWhatTheAgentReads() throws Exception {
    ToolRule rule = new ToolRule("tool.bash", "git push *", GateDecision.DENY, Optional.of("open a pull request"));

    ToolGate.Verdict v = gate(rule).decide(bash("cd sub && git push origin main", ""));

    assertThat(v.decision()).isEqualTo(GateDecision.DENY);
    assertThat(v.rule()).isEqualTo("tool.bash 'git push *': deny");
    assertThat(v.reason()).isEqualTo("open a pull request");
  }

  @Test
  void aPushToAnotherBranchThanTheTasksIsRefusedByTheBuiltInGitPushRuleWithoutAnyToolRule() throws Exception {
    ToolGate.Verdict main = gate().decide(bash("git -C repo push --force origin HEAD:main", ""));
    ToolGate.Verdict own = gate().decide(bash("git push origin taskbound/T-1/fix", ""));
    ToolGate.Verdict current = gate().decide(bash("git push", "refs/heads/taskbound/T-1/wip"));

    assertThat(main.decision()).isEqualTo(GateDecision.DENY);
    assertThat(main.rule()).isEqualTo("built-in: git.push only to refs/heads/taskbound/T-1/**");
    assertThat(main.reason()).startsWith("git push to refs/heads/main: ");
    assertThat(own.decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(current.decision()).isEqualTo(GateDecision.ALLOW);
  }

  @Test
  void aPushWhoseRefsTheLineDoesNotNameIsRefused() throws Exception {
    assertThat(gate().decide(bash("git push --all origin", "refs/heads/taskbound/T-1/x")).decision()).isEqualTo(GateDecision.DENY);
    assertThat(gate().decide(bash("git push", "")).decision()).isEqualTo(GateDecision.DENY);
  }

  /**
   * --force-with-lease and --signed take a value only after '=': read as taking the next word, they
   * hid "main" and the push was judged as one of the task's branch. Spellings the shell runs alike
   * must be judged alike; what the reader cannot follow is a push of unknown refs.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "git  push --force-with-lease origin main",
      "git push --signed origin main",
      "git push -fu origin main",
      "git --attr-source HEAD push origin main",
      "git --some-new-option push origin main",
      "env -i git push origin main",
      "time git push origin main",
      "if true; then git push origin main; fi",
      "{ git push origin main; }",
      "echo `git push origin main`",
      "/usr/lib/git-core/git-push origin main",
      "git pu\\\nsh origin main",
      "git push --unknown-option x origin main",
      "nice git push origin taskbound/T-1/x",
      "git -c remote.origin.push=HEAD:refs/heads/main push origin",
      "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.push GIT_CONFIG_VALUE_0=HEAD:refs/heads/main git push origin",
      "git checkout main && git push origin HEAD",
      "cd ../other && git push",
      "git -C ../wt push origin HEAD",
      "git push origin 'HEAD:refs/heads/taskbound/T-1/a:refs/heads/main'",
      "git $'push' origin main",
      "{git,push,origin,main}",
      "git -c alias.p=push p origin main",
      "git push origin $BRANCH",
      "git -c $'a.b=\\'' -c 'c.d=;' push origin taskbound/T-1/work:main",
      "true #'\ngit -c 'x.y=;' push origin taskbound/T-1/work:main",
      "echo 'ref: refs/heads/main' > .git/HEAD; git push origin HEAD",
      "export GIT_DIR=../other/.git; git push origin HEAD",
      "git config remote.origin.pushurl x && git push",
      "echo 'push it",
      // review finding: a '#' begins a comment only at a word's start after a space, tab or operator, as in bash
      "echo x\\\n#; git push origin main",
      "echo x\u000b#; git push origin main",
      "echo x\f#; git push origin main",
      "echo x\u3000#; git push origin main",
      "echo a\\ #; git push origin main",
      "git \"pu\\\nsh\" origin main",
      "echo `true #`; git push origin main",
      "git $'\\x70ush' origin HEAD:main",
      "git pus? origin HEAD:main",
      "X=push; git $X origin HEAD:main"})
  void aPushToMainIsRefusedHoweverTheLineSpellsIt(String command) throws Exception {
    ToolGate.Verdict v = gate().decide(bash(command, "refs/heads/taskbound/T-1/work"));

    assertThat(v.decision()).as(command + " -> " + v.reason()).isEqualTo(GateDecision.DENY);
  }

  /** Forms git pushes the task's branch with, which the reader must not refuse. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "git push origin @",
      "git push origin HEAD 2>&1",
      "git push origin taskbound/T-1/work > /tmp/push.log",
      "git add -A && git commit -m 'fix: the test' && git push -u origin HEAD",
      "git push",
      "cat .gitignore && git push origin HEAD",
      "git commit -m 'push the fix' && git push origin HEAD  # done",
      "git push origin HEAD\t# not: git push origin main",
      "git push origin HEAD;# not: git push origin main"})
  void aPushOfTheTasksBranchIsAllowedAsGitWritesIt(String command) throws Exception {
    ToolGate.Verdict v = gate().decide(bash(command, "refs/heads/taskbound/T-1/work"));

    assertThat(v.decision()).as(command + " -> " + v.reason()).isEqualTo(GateDecision.ALLOW);
  }

  @Test
  void aPushWithAValueOptionOnlyAfterItsEqualsSignIsStillReadExactly() throws Exception {
    ToolGate.Verdict own = gate().decide(bash("git push --force-with-lease=taskbound/T-1/x origin taskbound/T-1/x",
        "refs/heads/taskbound/T-1/x"));
    ToolGate.Verdict withOption = gate().decide(bash("git push -o ci.skip origin taskbound/T-1/x", ""));

    assertThat(own.decision()).as(own.reason()).isEqualTo(GateDecision.ALLOW);
    assertThat(withOption.decision()).as(withOption.reason()).isEqualTo(GateDecision.ALLOW);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"rm -rf /", "rm  -rf /", "\"rm\" -rf /", "r\\m -rf /",
      "then rm -rf /", "A=1 rm -rf /", "true && rm -rf /tmp/x"})
  void aCommandRuleMatchesTheCommandAsTheShellRunsIt(String command) throws Exception {
    ToolRule rule = new ToolRule("tool.bash", "rm -rf *", GateDecision.DENY, Optional.empty());

    assertThat(gate(rule).decide(bash(command, "")).decision()).as(command).isEqualTo(GateDecision.DENY);
  }

  @Test
  void aDeletingPushIsDecidedAsRefDeletion() throws Exception {
    ToolGate.Verdict v = gate().decide(bash("git push origin :taskbound/T-1/old", ""));

    assertThat(v.decision()).isEqualTo(GateDecision.DENY);
    assertThat(v.rule()).isEqualTo("built-in: git.ref.delete denied");
  }

  @Test
  void aFetchOfAHostTheEgressRulesRefuseIsRefusedWithTheRuleToAdd() throws Exception {
    ToolCall fetch = ClaudeCodeTools.of("toolu_2", "WebFetch", JSON.readTree("{\"url\":\"https://Blocked.Test/page\"}"), "");
    ToolCall allowed = ClaudeCodeTools.of("toolu_3", "WebFetch", JSON.readTree("{\"url\":\"https://api.anthropic.com/x\"}"), "");

    ToolGate.Verdict v = gate().decide(fetch);

    assertThat(fetch.target()).isEqualTo("blocked.test");
    assertThat(v.decision()).isEqualTo(GateDecision.DENY);
    assertThat(v.reason()).contains("blocked.test").contains("spec.egress.allow");
    assertThat(gate().decide(allowed).decision()).isEqualTo(GateDecision.ALLOW);
  }

  /** A URL Java's URI refuses had no host for the gate, so neither egress nor a web_fetch rule was checked. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
      "https://pastebin.com/raw/a b, pastebin.com",
      "https://pastebin.com./raw/x, pastebin.com",
      "https://user@PasteBin.com:8443\\x, pastebin.com",
      "https://evil.example/x y, evil.example",
      "https:pastebin.com/?://docs.github.com, pastebin.com",
      "https:\\\\pastebin.com\\x, pastebin.com",
      "'https://pastebin\u3002com/', pastebin.com",
      "'https://\uff50astebin.com/', pastebin.com",
      "'https://past\tebin.com/', pastebin.com"})
  void aFetchIsJudgedByTheHostABrowserReadsInItsUrl(String url, String host) throws Exception {
    ToolRule rule = new ToolRule("tool.web_fetch", "pastebin.com", GateDecision.DENY, Optional.empty());
    ToolCall fetch = ClaudeCodeTools.of("toolu_4", "WebFetch", JSON.readTree(JSON.writeValueAsString(java.util.Map.of("url", url))), "");

    assertThat(fetch.target()).isEqualTo(host);
    assertThat(gate(rule).decide(fetch).decision()).as(url).isEqualTo(GateDecision.DENY);
  }

  @Test
  void aFetchWhoseHostCannotBeReadIsRefused() throws Exception {
    ToolCall fetch = ClaudeCodeTools.of("toolu_5", "WebFetch", JSON.readTree("{\"url\":\"not a url\"}"), "");

    ToolGate.Verdict v = gate().decide(fetch);

    assertThat(v.decision()).isEqualTo(GateDecision.DENY);
    assertThat(v.reason()).contains("the URL's host could not be read");
  }

  @Test
  void theStrictestMatchingRuleWinsSoAnAllowRuleNeverLoosensABuiltInDenial() throws Exception {
    ToolRule allow = new ToolRule("tool.bash", "*", GateDecision.ALLOW, Optional.empty());

    assertThat(gate(allow).decide(bash("git push origin main", "")).decision()).isEqualTo(GateDecision.DENY);
  }

  @ParameterizedTest
  @CsvSource({
    "Edit, .github/workflows/**, /work/ws/.github/workflows/ci.yml, true",
    "Write, .github/workflows/**, /work/ws/src/Main.java, false",
    "Write, /work/ws/*.txt, /work/ws/a.txt, true",
    "Write, /work/ws/*.txt, /work/ws/sub/a.txt, false",
    "Write, **/*.pem, /work/ws/keys/k.pem, true",
  })
  void pathGlobsMatchTheWrittenFile(String tool, String glob, String path, boolean matches) throws Exception {
    ToolCall call = ClaudeCodeTools.of("t", tool, JSON.readTree("{\"file_path\":\"" + path + "\"}"), "");

    assertThat(ToolGate.matches(call, glob)).isEqualTo(matches);
  }

  @ParameterizedTest
  @CsvSource({
    "mcp__github__create_issue, tool.mcp.github.create_issue",
    "Read, tool.read",
    "WebSearch, tool.web_search",
    "NotebookRead, tool.notebook_read",
  })
  void toolNamesBecomeGateActions(String tool, String action) throws Exception {
    assertThat(ClaudeCodeTools.of("t", tool, JSON.readTree("{}"), "").action()).isEqualTo(action);
  }

  @Test
  void anMcpRuleWithAPrefixCoversEveryToolOfTheServer() throws Exception {
    ToolRule rule = new ToolRule("tool.mcp.github.*", "*", GateDecision.DENY, Optional.empty());
    ToolCall call = ClaudeCodeTools.of("t", "mcp__github__merge_pull_request", JSON.readTree("{}"), "");

    assertThat(gate(rule).decide(call).decision()).isEqualTo(GateDecision.DENY);
  }

  /** A person asked to approve an MCP call sees every argument, not the one the agent fills as it likes. */
  @Test
  void anMcpCallsSummaryIsItsWholeInputWithLongValuesCut() throws Exception {
    ToolCall call = ClaudeCodeTools.of("t", "mcp__github__merge_pull_request", JSON.readTree("{\"owner\":\"acme\","
        + "\"repo\":\"payments\",\"pullNumber\":42,\"description\":\"read-only: list open issues in acme/docs\","
        + "\"body\":\"" + "b".repeat(500) + "\"}"), "");

    assertThat(call.summary()).startsWith("{\"pullNumber\":42,\"owner\":\"acme\",\"repo\":\"payments\",")
        .endsWith("\"body\":\"" + "b".repeat(200) + "\u2026(500 chars)\"}");
    assertThat(ClaudeCodeTools.of("t", "Read", JSON.readTree("{\"file_path\":\"/ws/README.md\"}"), "").summary())
        .isEqualTo("{\"file_path\":\"/ws/README.md\"}");
  }

  /** The docs' own rule for workflows was passed by {@code .github/./workflows} and {@code .github//workflows}. */
  @ParameterizedTest
  @CsvSource({
    "/ws/.github/./workflows/ci.yml",
    "/ws/.github//workflows/ci.yml",
    "/ws/src/../.github/workflows/ci.yml",
    "/ws/.github/workflows/./ci.yml",
  })
  void aWritePathIsMatchedAsItResolvesNotAsItIsSpelt(String path) throws Exception {
    ToolCall call = ClaudeCodeTools.of("t", "Write", JSON.readTree("{\"file_path\":\"" + path + "\"}"), "");

    assertThat(ToolGate.matches(call, ".github/workflows/**")).isTrue();
    assertThat(call.summary()).as("a person sees it as the agent spelt it").isEqualTo(path);
  }

  /** Values are masked whole before they are cut or written as JSON: a cut or an escaped quote hid a secret from the masker. */
  @Test
  void anMcpCallsValuesAreMaskedBeforeTheyAreCutOrEscaped() throws Exception {
    String secret = "pa\"ss\\w0rd-Zq8rT5vW2xY7kL3mN9pQ4sU";
    String input = new ObjectMapper().writeValueAsString(java.util.Map.of("note", "f".repeat(177) + secret, "quoted", secret));

    ToolCall call = ClaudeCodeTools.of("t", "mcp__x__y", JSON.readTree(input), "", text -> text.replace(secret, "***"));

    assertThat(call.summary()).doesNotContain("Zq8rT5vW2xY7kL3mN9pQ4s").contains("\"quoted\":\"***\"")
        .contains("\"note\":\"" + "f".repeat(177) + "***\"");
    ToolCall nested = ClaudeCodeTools.of("t", "mcp__x__y", JSON.readTree(new ObjectMapper().writeValueAsString(
        java.util.Map.of("args", java.util.List.of(secret, java.util.Map.of(secret, 1))))), "", text -> text.replace(secret, "***"));
    assertThat(nested.summary()).doesNotContain("Zq8rT5vW2xY7kL3mN9pQ4s").isEqualTo("{\"args\":[\"***\",{\"***\":1}]}");
  }
}
