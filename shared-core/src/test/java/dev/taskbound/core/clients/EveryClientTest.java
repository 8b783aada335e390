package dev.taskbound.core.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.taskbound.core.sandbox.FetchMain;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.testing.GitCgi;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every common client, both ways, inside the real netns sandbox with the real gateway: with an
 * allow rule it reaches a loopback origin through the gateway (and the gateway's listener records
 * an allowed decision for exactly that host and port); without one it fails and the origin sees
 * nothing (the listener records a denial, or nothing at all for clients that cannot use the
 * proxy). Origins: an HTTPS server for {@code api.test}, {@code git.test} (git smart HTTP) and
 * {@code repo.test} (a Maven repository), and a real verdaccio for {@code npm.test} (plain HTTP).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EveryClientTest {
  @TempDir static Path dir;
  static Verdaccio verdaccio;
  static ClientsHarness h;
  static Path toolJar;
  static final String NPM = "npm.test";

  @BeforeAll
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  static void start() throws Exception {
    verdaccio = Verdaccio.start(dir);
    verdaccio.publish(dir, "tb-tiny", "1.0.0", "tb-tiny works");
    h = new ClientsHarness(dir, List.of(NPM + ":" + verdaccio.port()), List.of(NPM));
    GitCgi.createRepository(h.gitRoot, "demo", "hello from git.test\n", dir);
    Path parent = Files.createDirectories(h.mavenRoot.resolve("dev/taskbound/test/tiny-parent/1.0"));
    Files.writeString(parent.resolve("tiny-parent-1.0.pom"),
        "<project><modelVersion>4.0.0</modelVersion><groupId>dev.taskbound.test</groupId>"
            + "<artifactId>tiny-parent</artifactId><version>1.0</version><packaging>pom</packaging></project>\n");
    toolJar = jarOf(UrlFetchMain.class, dir.resolve("tool.jar"));
  }

  @AfterAll
  static void stop() {
    if (h != null) {
      h.close();
    }
    if (verdaccio != null) {
      verdaccio.close();
    }
  }

  @BeforeEach
  void forget() {
    h.forget();
  }

  // curl

  @Test
  void curlFetchesFromAnAllowedHostThroughTheGateway() throws Exception {
    ClientsHarness.Result r = run(Map.of(), "curl", "-sS", "--fail", "--cacert", h.certPem.toString(), h.url("api.test", "/hello"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(ClientsHarness.BODY);
    assertOnlyAllowed("api.test", h.port());
  }

  @Test
  void curlToAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r =
        run(Map.of(), "curl", "-sS", "--cacert", h.certPem.toString(), h.url(ClientsHarness.BLOCKED, "/hello"));

    assertThat(r.status()).as("curl exit 56: CONNECT refused").isEqualTo(56);
    assertThat(r.err()).contains("CONNECT tunnel failed, response 403");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  // git over HTTPS and SSH

  @Test
  void gitClonesOverHttpsThroughTheGateway() throws Exception {
    ClientsHarness.Result r =
        run(Map.of("GIT_SSL_CAINFO", h.certPem.toString()), "sh", "-c",
            "git clone -q " + h.url("git.test", "/git/demo.git") + " clone && cat clone/README");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("hello from git.test\n");
    assertOnlyAllowed("git.test", h.port());
  }

  @Test
  void gitCloneFromAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r =
        run(Map.of("GIT_SSL_CAINFO", h.certPem.toString()), "git", "clone", "-q", h.url(ClientsHarness.BLOCKED, "/git/demo.git"), "clone");

    assertThat(r.status()).isEqualTo(128);
    assertThat(r.err()).contains("CONNECT tunnel failed, response 403");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  /** No rule can allow SSH yet (no {@code GIT_SSH_COMMAND} through the proxy): ssh has no route and no resolver. */
  @Test
  void gitCloneOverSshFailsClosedByNameAndByAddress() throws Exception {
    Map<String, String> env = Map.of("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no");

    ClientsHarness.Result byName = run(env, "git", "clone", "-q", "ssh://git@git.test/demo.git", "by-name");
    ClientsHarness.Result byAddress = run(env, "git", "clone", "-q", "ssh://git@127.0.0.1:22/demo.git", "by-address");

    assertThat(byName.status()).isEqualTo(128);
    assertThat(byName.err()).contains("Could not resolve hostname git.test");
    assertThat(byAddress.status()).isEqualTo(128);
    assertThat(byAddress.err()).contains("port 22: Connection refused");
    assertThat(h.seen).isEmpty();
    assertThat(h.served).isEmpty();
  }

  // npm

  @Test
  void npmInstallsFromVerdaccioThroughTheGateway() throws Exception {
    ClientsHarness.Result r =
        run(npmEnv(), "sh", "-c",
            "npm install --registry http://" + NPM + ":" + verdaccio.port() + "/ tb-tiny@1.0.0"
                + " && node -e 'console.log(require(\"tb-tiny\"))'");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).endsWith("tb-tiny works\n");
    assertOnlyAllowed(NPM, verdaccio.port());
    assertThat(h.seen).extracting(ClientsHarness.Seen::method).containsOnly("GET");
  }

  @Test
  void npmInstallFromARegistryWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r =
        run(npmEnv(), "npm", "install", "--registry", "http://" + ClientsHarness.BLOCKED + ":" + verdaccio.port() + "/", "tb-tiny@1.0.0");

    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("403 Forbidden");
    assertOnlyDenied(ClientsHarness.BLOCKED, verdaccio.port());
  }

  private static Map<String, String> npmEnv() {
    return Map.of("npm_config_update_notifier", "false", "npm_config_audit", "false", "npm_config_fund", "false",
        "npm_config_fetch_retries", "0", "npm_config_cache", "/tmp/npm-cache"); // the sandbox's private /tmp
  }

  // the JDK: HttpClient and a plain java -jar tool, both with the proxy from JAVA_TOOL_OPTIONS only

  @Test
  void jdkHttpClientFetchesFromAnAllowedHostThroughTheGateway() throws Exception {
    ClientsHarness.Result r = runJava("-cp", InitCommand.current().classPath(), FetchMain.class.getName(), h.url("api.test", "/hello"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("200 " + ClientsHarness.BODY);
    assertOnlyAllowed("api.test", h.port());
  }

  @Test
  void jdkHttpClientToAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r =
        runJava("-cp", InitCommand.current().classPath(), FetchMain.class.getName(), h.url(ClientsHarness.BLOCKED, "/hello"));

    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("403");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  @Test
  void plainJavaJarToolFetchesFromAnAllowedHostThroughTheGateway() throws Exception {
    ClientsHarness.Result r = runJava("-jar", toolJar.toString(), h.url("api.test", "/hello"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(ClientsHarness.BODY);
    assertThat(r.err()).contains("Picked up JAVA_TOOL_OPTIONS: -Dhttp.proxyHost=127.0.0.1");
    assertOnlyAllowed("api.test", h.port());
  }

  @Test
  void plainJavaJarToolToAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r = runJava("-jar", toolJar.toString(), h.url(ClientsHarness.BLOCKED, "/hello"));

    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("Unable to tunnel through proxy").contains("403");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  private static ClientsHarness.Result runJava(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(InitCommand.current().javaBinary().toString(),
        "-Djavax.net.ssl.trustStore=" + h.trustStore, "-Djavax.net.ssl.trustStorePassword=changeit"));
    cmd.addAll(List.of(args));
    return h.run(Files.createTempDirectory(dir, "run"), Map.of(), cmd);
  }

  // Node's built-in fetch

  @Test
  void nodeFetchFollowsNodeUseEnvProxyWhereNodeSupportsIt() throws Exception {
    int[] v = nodeVersion();

    ClientsHarness.Result r = nodeFetch(h.url("api.test", "/hello"));

    if (nodeHonoursEnvProxy(v)) {
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(ClientsHarness.BODY);
      assertOnlyAllowed("api.test", h.port());
    } else {
      // Node before 22.21 / 24.0 ignores NODE_USE_ENV_PROXY: fetch dials directly, finds no
      // resolver and no route, and fails without touching the gateway or the origin.
      assertThat(r.status()).isEqualTo(1);
      assertThat(r.err()).contains("api.test");
      assertThat(h.seen).isEmpty();
      assertThat(h.served).isEmpty();
    }
  }

  @Test
  void nodeFetchToAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    int[] v = nodeVersion();

    ClientsHarness.Result r = nodeFetch(h.url(ClientsHarness.BLOCKED, "/hello"));

    assertThat(r.status()).isEqualTo(1);
    assertThat(h.served).isEmpty();
    if (nodeHonoursEnvProxy(v)) {
      assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
    } else {
      assertThat(h.seen).isEmpty();
    }
  }

  private static ClientsHarness.Result nodeFetch(String url) throws Exception {
    String js =
        "fetch(process.argv[1]).then(r => { if (!r.ok) throw new Error('status ' + r.status); return r.text(); })"
            + ".then(t => process.stdout.write(t))"
            + ".catch(e => { console.error(String(e), String(e.cause)); process.exit(1); })";
    return run(Map.of("NODE_EXTRA_CA_CERTS", h.certPem.toString()), "node", "-e", js, url);
  }

  private static int[] nodeVersion() throws Exception {
    String v = ClientsHarness.exec(List.of("node", "--version"), null, Map.of()).strip();
    String[] parts = v.substring(1).split("\\.");
    return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
  }

  /** NODE_USE_ENV_PROXY arrived in Node 24.0 and was backported to 22.21. */
  private static boolean nodeHonoursEnvProxy(int[] v) {
    return v[0] >= 24 || (v[0] == 22 && v[1] >= 21);
  }

  // python3 urllib

  @Test
  void pythonUrllibFetchesFromAnAllowedHostThroughTheGateway() throws Exception {
    ClientsHarness.Result r = pythonFetch(h.url("api.test", "/hello"));

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(ClientsHarness.BODY);
    assertOnlyAllowed("api.test", h.port());
  }

  @Test
  void pythonUrllibToAHostWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r = pythonFetch(h.url(ClientsHarness.BLOCKED, "/hello"));

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("Tunnel connection failed: 403 Forbidden");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  private static ClientsHarness.Result pythonFetch(String url) throws Exception {
    String py = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode())";
    return run(Map.of("SSL_CERT_FILE", h.certPem.toString()), "python3", "-c", py, url);
  }

  // Maven: the settings.xml proxy, a parent POM resolved from a remote repository

  @Test
  void mavenResolvesFromAnAllowedRepositoryThroughTheGateway() throws Exception {
    ClientsHarness.Result r = maven("repo.test");

    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(h.served).contains("repo.test:" + h.port());
    assertOnlyAllowed("repo.test", h.port());
  }

  /** No settings.xml proxy at all: Maven's transport takes the proxy from JAVA_TOOL_OPTIONS. */
  @Test
  void mavenResolvesThroughTheGatewayWithOnlyTheJavaToolOptionsProxy() throws Exception {
    ClientsHarness.Result r = maven("repo.test", false);

    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(h.served).contains("repo.test:" + h.port());
    assertOnlyAllowed("repo.test", h.port());
  }

  @Test
  void mavenResolvingFromARepositoryWithoutAnAllowRuleFailsClosed() throws Exception {
    ClientsHarness.Result r = maven(ClientsHarness.BLOCKED);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("tiny-parent").contains("403");
    assertOnlyDenied(ClientsHarness.BLOCKED, h.port());
  }

  private static ClientsHarness.Result maven(String repoHost) throws Exception {
    return maven(repoHost, true);
  }

  private static ClientsHarness.Result maven(String repoHost, boolean settingsProxy) throws Exception {
    String mvn = mavenBinary();
    Path project = Files.createTempDirectory(dir, "mvn");
    Files.writeString(project.resolve("pom.xml"),
        "<project><modelVersion>4.0.0</modelVersion><parent><groupId>dev.taskbound.test</groupId>"
            + "<artifactId>tiny-parent</artifactId><version>1.0</version><relativePath/></parent>"
            + "<artifactId>consumer</artifactId><packaging>pom</packaging></project>\n");
    Files.writeString(project.resolve("settings.tmpl"),
        "<settings>"
            + (settingsProxy
                ? "<proxies><proxy><id>taskbound</id><active>true</active><protocol>https</protocol>"
                    + "<host>127.0.0.1</host><port>@PORT@</port></proxy></proxies>"
                : "")
            + "<mirrors><mirror><id>local</id><mirrorOf>*</mirrorOf><url>https://" + repoHost + ":" + h.port()
            + "/maven</url></mirror></mirrors></settings>\n");
    // The forwarder's port is known only inside the sandbox, from the proxy variables.
    String script =
        "sed \"s/@PORT@/${HTTPS_PROXY##*:}/\" settings.tmpl > settings.xml && exec " + mvn
            + " -B -s settings.xml -Dmaven.repo.local=$PWD/m2 validate";
    return h.run(project,
        Map.of("MAVEN_OPTS", "-Djavax.net.ssl.trustStore=" + h.trustStore + " -Djavax.net.ssl.trustStorePassword=changeit"),
        List.of("sh", "-c", script));
  }

  private static String mavenBinary() throws Exception {
    for (String candidate : List.of("/usr/bin/mvn", "/usr/local/bin/mvn")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    Path dists = Path.of(System.getProperty("user.home"), ".m2/wrapper/dists");
    if (Files.isDirectory(dists)) {
      try (var s = Files.find(dists, 4, (p, a) -> p.endsWith("bin/mvn") && Files.isExecutable(p))) {
        var found = s.findFirst();
        if (found.isPresent()) {
          return found.get().toString();
        }
      }
    }
    assumeTrue(false, "no Maven installation (mvn) found");
    return null;
  }

  // helpers

  private static ClientsHarness.Result run(Map<String, String> env, String... command) throws Exception {
    return h.run(Files.createTempDirectory(dir, "run"), env, List.of(command));
  }

  /** Every decision was an allow for exactly host:port, dialled at 127.0.0.1 (where the pin points). */
  private static void assertOnlyAllowed(String host, int port) {
    assertThat(h.seen).isNotEmpty().allSatisfy(s -> {
      assertThat(s.decision().allowed()).isTrue();
      assertThat(s.decision().host()).isEqualTo(host);
      assertThat(s.decision().port()).isEqualTo(port);
      assertThat(s.dialled().map(a -> a.getHostAddress())).contains("127.0.0.1");
    });
  }

  /** Every decision was a denial of exactly host:port, nothing was dialled and the origin saw nothing. */
  private static void assertOnlyDenied(String host, int port) {
    assertThat(h.seen).isNotEmpty().allSatisfy(s -> {
      assertThat(s.decision().allowed()).isFalse();
      assertThat(s.decision().host()).isEqualTo(host);
      assertThat(s.decision().port()).isEqualTo(port);
      assertThat(s.dialled()).isEmpty();
    });
    assertThat(h.served).isEmpty();
  }

  static Path jarOf(Class<?> main, Path jar) throws Exception {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main.getName());
    String entry = main.getName().replace('.', '/') + ".class";
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os, manifest)) {
      out.putNextEntry(new JarEntry(entry));
      try (var in = main.getClassLoader().getResourceAsStream(entry)) {
        in.transferTo(out);
      }
      out.closeEntry();
    }
    return jar;
  }
}
