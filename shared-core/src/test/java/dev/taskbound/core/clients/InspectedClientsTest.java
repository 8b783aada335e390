package dev.taskbound.core.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.egress.InjectedCredentials;
import dev.taskbound.core.egress.Inspection;
import dev.taskbound.core.egress.RequestGate;
import dev.taskbound.core.egress.SessionCa;
import dev.taskbound.core.egress.TrustFiles;
import dev.taskbound.core.gate.ActionRules;
import dev.taskbound.core.gate.GateRules;
import dev.taskbound.core.testing.GitCgi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: real clients in a real netns sandbox through the inspecting gateway. The agent holds a
 * placeholder, trusts the session CA only through the variables the session sets (never a
 * {@code --cacert} of the origin's), and the local HTTPS origin records the Authorization header it
 * receives: the real token, which the agent never had. git pushes through {@code git http-backend}
 * are decided by the gate's built-in defaults: the task's branches only, no deletion.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class InspectedClientsTest {
  private static final String TASK = "T-15";
  /** Made at run time, so the grep inside finds no copy of it in this class file (CI may build under /tmp). */
  private static final String REAL = "ghs_" + java.util.UUID.randomUUID().toString().replace("-", "") + "real";

  @TempDir static Path dir;
  static ClientsHarness h;
  static SessionCa ca;
  static TrustFiles trust;
  static String placeholder;
  static Path toolJar;
  static final List<String> authorizations = new CopyOnWriteArrayList<>();
  static final List<RequestGate.InspectedRequest> recorded = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ca = SessionCa.generate("clients-test", Clock.systemUTC());
    InjectedCredentials credentials = InjectedCredentials.create();
    ActionRules rules = new ActionRules(GateRules.none(), TASK);
    RequestGate gate = new RequestGate() {
      @Override
      public Verdict decide(RequestAction action) {
        ActionRules.Outcome o = rules.decide(action.name(), action.target());
        return new Verdict(Verdict.Kind.valueOf(o.decision().name()), o.rule(), o.reason());
      }

      @Override
      public void onRequest(InspectedRequest request) {
        recorded.add(request);
      }
    };
    h = new ClientsHarness(dir, List.of(), List.of(),
        upstreamTrust -> Inspection.of(Set.of("api.test", "git.test"), ca, Optional.of(upstreamTrust), credentials, gate));
    placeholder = credentials.bind(Set.of("api.test", "git.test"), "", Secret.of(REAL));
    h.server.createContext("/whoami", ex -> {
      authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      ClientsHarness.respond(ex, 200, "seen\n".getBytes(StandardCharsets.UTF_8));
    });
    GitCgi.createRepository(h.gitRoot, "demo", "hello from git.test\n", dir);
    ClientsHarness.exec(List.of("git", "-C", h.gitRoot.resolve("demo.git").toString(), "config", "http.receivepack", "true"),
        null, Map.of());
    trust = TrustFiles.write(ca, dir.resolve("inspect"));
    toolJar = EveryClientTest.jarOf(UrlFetchMain.class, dir.resolve("tool.jar"));
  }

  @AfterAll
  static void stop() {
    if (h != null) {
      h.close();
    }
  }

  @BeforeEach
  void forget() {
    h.forget();
    authorizations.clear();
    recorded.clear();
  }

  private static ClientsHarness.Result run(String... command) throws Exception {
    Path work = Files.createTempDirectory(dir, "work");
    Map<String, String> env = new HashMap<>(trust.environment());
    env.put("GH_TOKEN", placeholder);
    return h.run(work, env, List.of(command));
  }

  @Test
  void curlSendsThePlaceholderAndTheOriginReceivesTheRealToken() throws Exception {
    ClientsHarness.Result r = run("sh", "-c",
        "curl -sS --fail -H \"Authorization: Bearer $GH_TOKEN\" " + h.url("api.test", "/whoami"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("seen\n");
    assertThat(authorizations).containsExactly("Bearer " + REAL);
    assertThat(recorded).singleElement().satisfies(q -> assertThat(q.decision()).isEqualTo("allowed"));
  }

  @Test
  void pythonUrllibTrustsTheSessionCaThroughTheBundle() throws Exception {
    String py = "import os, sys, urllib.request; r = urllib.request.Request(sys.argv[1], headers={'Authorization': 'token ' + os.environ['GH_TOKEN']});"
        + " sys.stdout.write(urllib.request.urlopen(r, timeout=20).read().decode())";
    ClientsHarness.Result r = run("python3", "-c", py, h.url("api.test", "/whoami"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("seen\n");
    assertThat(authorizations).containsExactly("token " + REAL);
  }

  @Test
  void nodeTrustsTheSessionCaThroughNodeExtraCaCerts() throws Exception {
    String js = "const https = require('https'); const u = new URL(process.argv[1]);"
        + " const p = new URL(process.env.HTTPS_PROXY || process.env.https_proxy);"
        + " const http = require('http');"
        + " http.request({host: p.hostname, port: p.port, method: 'CONNECT', path: u.host}).on('connect', (res, socket) => {"
        + "   https.get({host: u.hostname, port: u.port, path: u.pathname, socket, agent: false, servername: u.hostname,"
        + "     headers: {Authorization: 'Bearer ' + process.env.GH_TOKEN}}, r => { r.pipe(process.stdout); })"
        + "   .on('error', e => { console.error(String(e)); process.exit(1); });"
        + " }).on('error', e => { console.error(String(e)); process.exit(1); }).end();";
    ClientsHarness.Result r = run("node", "-e", js, h.url("api.test", "/whoami"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("seen\n");
    assertThat(authorizations).containsExactly("Bearer " + REAL);
  }

  @Test
  void theJdkTrustsTheSessionCaThroughJavaToolOptions() throws Exception {
    ClientsHarness.Result r = run("java", "-cp", toolJar.toString(), UrlFetchMain.class.getName(), h.url("api.test", "/hello"));

    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains(ClientsHarness.BODY.strip());
    assertThat(recorded).singleElement().satisfies(q -> assertThat(q.pathTemplate()).isEqualTo("/hello"));
  }

  @Test
  void gitPushesTheTaskBranchButNotMainNorADeletionAndTheGateSaysWhy() throws Exception {
    String basic = Base64.getEncoder().encodeToString(("x-access-token:" + placeholder).getBytes(StandardCharsets.UTF_8));
    String git = "git -c http.extraHeader='Authorization: Basic " + basic + "' -c user.name=a -c user.email=a@a.test";
    String url = h.url("git.test", "/git/demo.git");
    ClientsHarness.Result r = run("sh", "-c", git + " clone -q " + url + " c && cd c && echo more >> README && "
        + git + " commit -qam more && "
        + "(" + git + " push -q origin HEAD:refs/heads/taskbound/" + TASK + "/work; echo task=$?) && "
        + "(" + git + " push -q origin HEAD:main 2>&1; echo main=$?) && "
        + "(" + git + " push -q origin :refs/heads/taskbound/" + TASK + "/work 2>&1; echo delete=$?)");

    assertThat(r.out()).as(r.err()).contains("task=0").contains("main=1").contains("delete=1");
    // git itself names the rule: a report-status ng line, and the reason on side-band 2 as remote:
    assertThat(r.out()).doesNotContain("HTTP 403")
        .contains("! [remote rejected] HEAD -> main (taskbound: git.push denied by built-in: git.push only to"
            + " refs/heads/taskbound/" + TASK + "/**)")
        .contains("remote: taskbound: git.push refs/heads/main: the built-in default lets the agent write only to"
            + " refs/heads/taskbound/" + TASK + "/**")
        .contains("! [remote rejected] taskbound/" + TASK + "/work (taskbound: git.ref.delete denied by built-in:"
            + " git.ref.delete denied)");
    // the origin received one pack: the task branch's; the refused pushes ended at the gateway
    assertThat(h.servedRequests).filteredOn(q -> q.endsWith("/git-receive-pack"))
        .containsExactly("POST /git/demo.git/git-receive-pack");
    String refs = ClientsHarness.exec(List.of("git", "-C", h.gitRoot.resolve("demo.git").toString(), "for-each-ref",
        "--format=%(refname)"), null, Map.of());
    assertThat(refs).contains("refs/heads/taskbound/" + TASK + "/work").contains("refs/heads/main");
    String mainLog = ClientsHarness.exec(List.of("git", "-C", h.gitRoot.resolve("demo.git").toString(), "log",
        "--format=%s", "main"), null, Map.of());
    assertThat(mainLog.strip()).isEqualTo("init");
    List<String> decisions = new ArrayList<>();
    for (RequestGate.InspectedRequest q : recorded) {
      if (q.pathTemplate().equals("/**/git-receive-pack")) {
        decisions.add(q.actions().get(0) + " " + q.decision() + " " + q.rule());
      }
    }
    assertThat(decisions).containsExactly(
        "git.push refs/heads/taskbound/" + TASK + "/work allowed built-in: git.push only to refs/heads/taskbound/" + TASK + "/**",
        "git.push refs/heads/main denied built-in: git.push only to refs/heads/taskbound/" + TASK + "/**",
        "git.ref.delete refs/heads/taskbound/" + TASK + "/work denied built-in: git.ref.delete denied");
  }

  @Test
  void aLargePushToMainIsRefusedInGitsOwnTermsAndItsPackNeverReachesTheOrigin() throws Exception {
    // given a commit too large for one request: git probes with a lone flush-pkt, then streams the pack chunked
    String basic = Base64.getEncoder().encodeToString(("x-access-token:" + placeholder).getBytes(StandardCharsets.UTF_8));
    String git = "git -c http.extraHeader='Authorization: Basic " + basic + "' -c user.name=a -c user.email=a@a.test";
    String url = h.url("git.test", "/git/demo.git");

    // when the agent pushes it to main
    ClientsHarness.Result r = run("sh", "-c", git + " clone -q " + url + " c && cd c && head -c 300000 /dev/urandom > blob"
        + " && git add blob && " + git + " commit -qm big && (" + git + " -c http.postBuffer=65536 push origin HEAD:main 2>&1;"
        + " echo main=$?)");

    // then git names the rule, the origin got the probe only, and the evidence has the denial
    assertThat(r.out()).as(r.err()).contains("main=1")
        .contains("! [remote rejected] HEAD -> main (taskbound: git.push denied by built-in: git.push only to"
            + " refs/heads/taskbound/" + TASK + "/**)");
    assertThat(h.servedRequests).filteredOn(q -> q.endsWith("/git-receive-pack"))
        .containsExactly("POST /git/demo.git/git-receive-pack");
    List<String> decisions = new ArrayList<>();
    for (RequestGate.InspectedRequest q : recorded) {
      if (q.pathTemplate().equals("/**/git-receive-pack")) {
        decisions.add(q.actions().get(0) + " " + q.decision() + " " + q.status());
      }
    }
    assertThat(decisions).containsExactly("http.request allowed 200", "git.push refs/heads/main denied 0");
    String mainLog = ClientsHarness.exec(List.of("git", "-C", h.gitRoot.resolve("demo.git").toString(), "log",
        "--format=%s", "main"), null, Map.of());
    assertThat(mainLog.strip()).isEqualTo("init");
  }

  @Test
  void aPushToMainSpelledWithAnEscapeOrADoubleSlashIsStillRefused() throws Exception {
    // given a receive-pack request updating main, its path spelled so a raw match would miss it
    String pkt = "0000000000000000000000000000000000000000 " + "a".repeat(40) + " refs/heads/main\\0report-status\\n";
    String len = String.format("%04x", 4 + 40 + 1 + 40 + 1 + "refs/heads/main".length() + 1 + "report-status".length() + 1);
    ClientsHarness.Result r = run("sh", "-c", "printf '" + len + pkt + "0000' > body && "
        + "curl -sS -o report -w '%{http_code}\\n' --data-binary @body " + h.url("git.test", "/git/demo.git/git%2Dreceive-pack")
        + " && grep -c -a 'ng refs/heads/main taskbound: git.push denied' report"
        + " && curl -sS -o /dev/null -w '%{http_code}\\n' --data-binary @body " + h.url("git.test", "/git//demo.git/git-receive-pack"));

    // then the gate reads the escaped one as the push it is (git's report refuses main) and refuses the odd path outright
    assertThat(r.out()).as(r.err()).isEqualTo("200\n1\n403\n");
    assertThat(recorded).anySatisfy(q -> assertThat(q.actions().get(0) + " " + q.decision()).isEqualTo("git.push refs/heads/main denied"));
    String mainLog = ClientsHarness.exec(List.of("git", "-C", h.gitRoot.resolve("demo.git").toString(), "log",
        "--format=%s", "main"), null, Map.of());
    assertThat(mainLog.strip()).isEqualTo("init");
  }

  @Test
  void theRealTokenIsNowhereTheAgentCanLook() throws Exception {
    ClientsHarness.Result r = run("sh", "-c", "env; found=$(grep -rs -l -F \"$1\" \"$HOME\" \"$PWD\" " + trust.dir()
        + " /tmp); echo \"found=[$found]\"", "sh", REAL.substring(4));

    assertThat(r.out()).doesNotContain(REAL).contains("GH_TOKEN=" + placeholder).contains("found=[]");
  }
}
