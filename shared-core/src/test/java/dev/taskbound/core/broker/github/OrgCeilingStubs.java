package dev.taskbound.core.broker.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The organisation's {@code .github} repository on the GitHub API stand-in, with bodies following
 * GitHub's documented responses: the App's installation on {@code acme/.github} (the same
 * installation {@value GithubStubs#INSTALLATION_ID} as {@code acme/app}: one installation per
 * organisation), a {@code contents: read} token for that repository alone ({@link #CEILING_TOKEN}),
 * the repository (default branch {@code main}), its head ref ({@link #COMMIT}) and the file {@code
 * taskbound/ceiling.yml} at that commit, base64 in 60-character lines as GitHub sends it. Requests
 * for the ceiling are answered only with the ceiling token.
 */
public final class OrgCeilingStubs {
  public static final String CEILING_TOKEN = "ghs_SENTINELceilingREADtoken0123456789abcdXY";
  public static final String COMMIT = "9f1c0ffee5e1f0a2b3c4d5e6f708192a3b4c5d6e";
  public static final String REPO_PATH = "/repos/acme/.github";
  public static final String REF_PATH = REPO_PATH + "/git/ref/heads/main";
  public static final String CONTENTS_PATH = REPO_PATH + "/contents/taskbound/ceiling.yml?ref=" + COMMIT;
  /** The listing of the org's profile files next to the ceiling, at {@link #COMMIT}. */
  public static final String PROFILES_PATH = REPO_PATH + "/contents/taskbound/profiles?ref=" + COMMIT;
  /** The create-token body for the ceiling: the {@code .github} repository alone, contents read. */
  public static final String CEILING_CREATE_BODY =
      "{\"repositories\":[\".github\"],\"permissions\":{\"contents\":\"read\"}}";

  private OrgCeilingStubs() {}

  /** An org ceiling: egress to api.github.test (the stand-in), acme repositories, contents read, TTL 20m. */
  public static String ceiling(int githubPort) {
    return String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Ceiling",
        "metadata: {name: acme-org}",
        "spec:",
        "  ttl: 20m",
        "  sandbox: {backends: [netns, container]}",
        "  egress:",
        "    allow: [\"api.github.test:" + githubPort + "\"]",
        "    hosts: {api.github.test: 127.0.0.1}",
        "  github:",
        "    repositories: [acme/*]",
        "    permissions: {contents: read}",
        "profiles:",
        "  coding-agent:",
        "    ttl: 15m",
        "");
  }

  /**
   * The installation of acme/.github, a ceiling token for it, the repository, its head and {@code
   * ceiling} as taskbound/ceiling.yml. Call after {@link GithubStubs#stubApp}: the token create for
   * the ceiling's body wins over the app's.
   */
  public static void stubOrgCeiling(WireMockServer github, String ceiling) {
    stubInstallationAndToken(github);
    stubRepositoryAndHead(github);
    stubContents(github, ceiling.getBytes(StandardCharsets.UTF_8));
    stubNoProfiles(github);
  }

  /** No {@code taskbound/profiles} directory: GitHub's 404 for a missing path. */
  public static void stubNoProfiles(WireMockServer github) {
    github.stubFor(get(urlEqualTo(PROFILES_PATH)).withHeader("Authorization", equalTo("token " + CEILING_TOKEN))
        .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json")
            .withBody("{\"message\":\"Not Found\",\"documentation_url\":"
                + "\"https://docs.github.com/rest/repos/contents#get-repository-content\",\"status\":\"404\"}")));
  }

  /**
   * {@code taskbound/profiles} holding {@code files} (name to content) and a README.md, listed as
   * GitHub lists a directory (an array of entries), and each file at {@link #COMMIT}.
   */
  public static void stubProfiles(WireMockServer github, java.util.Map<String, String> files) {
    StringBuilder listing = new StringBuilder("[");
    java.util.Map<String, String> all = new java.util.LinkedHashMap<>(files);
    all.put("README.md", "# Agent profiles\n");
    for (java.util.Map.Entry<String, String> f : all.entrySet()) {
      String path = "taskbound/profiles/" + f.getKey();
      byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
      if (listing.length() > 1) {
        listing.append(',');
      }
      listing.append("{\"type\":\"file\",\"size\":").append(bytes.length).append(",\"name\":\"").append(f.getKey())
          .append("\",\"path\":\"").append(path).append("\",\"sha\":\"0000000000000000000000000000000000000001\",")
          .append("\"url\":\"").append(github.baseUrl()).append(REPO_PATH).append("/contents/").append(path).append("\"}");
      if (!f.getKey().equals("README.md")) {
        stubFile(github, path, bytes);
      }
    }
    listing.append(",{\"type\":\"dir\",\"size\":0,\"name\":\"drafts.yml\",\"path\":\"taskbound/profiles/drafts.yml\"}]");
    github.stubFor(get(urlEqualTo(PROFILES_PATH)).withHeader("Authorization", equalTo("token " + CEILING_TOKEN))
        .willReturn(GithubStubs.okJson(listing.toString())));
  }

  /** The contents path of {@code path} at {@link #COMMIT}. */
  public static String contentsPath(String path) {
    return REPO_PATH + "/contents/" + path + "?ref=" + COMMIT;
  }

  public static void stubInstallationAndToken(WireMockServer github) {
    github.stubFor(get(urlEqualTo(REPO_PATH + "/installation")).willReturn(GithubStubs.okJson(
        "{\"id\":" + GithubStubs.INSTALLATION_ID + ",\"app_id\":" + GithubStubs.APP_ID + ","
            + "\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},"
            + "\"access_tokens_url\":\"" + github.baseUrl() + GithubStubs.ACCESS_TOKENS_PATH + "\","
            + "\"repository_selection\":\"selected\",\"target_type\":\"Organization\","
            + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}")));
    github.stubFor(post(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)).atPriority(1)
        .withRequestBody(equalToJson(CEILING_CREATE_BODY))
        .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json")
            .withBody("{\"token\":\"" + CEILING_TOKEN + "\",\"expires_at\":\"2026-12-06T04:00:00Z\","
                + "\"permissions\":{\"contents\":\"read\",\"metadata\":\"read\"},\"repository_selection\":\"selected\","
                + "\"repositories\":[{\"id\":7,\"name\":\".github\",\"full_name\":\"acme/.github\"}]}")));
  }

  public static void stubRepositoryAndHead(WireMockServer github) {
    github.stubFor(get(urlEqualTo(REPO_PATH)).withHeader("Authorization", equalTo("token " + CEILING_TOKEN))
        .willReturn(GithubStubs.okJson("{\"id\":7,\"node_id\":\"R_kgDOAAAABw\",\"name\":\".github\","
            + "\"full_name\":\"acme/.github\",\"private\":true,\"owner\":{\"login\":\"acme\",\"type\":\"Organization\"},"
            + "\"default_branch\":\"main\",\"visibility\":\"private\"}")));
    github.stubFor(get(urlEqualTo(REF_PATH)).withHeader("Authorization", equalTo("token " + CEILING_TOKEN))
        .willReturn(GithubStubs.okJson("{\"ref\":\"refs/heads/main\",\"node_id\":\"REF_kwDOAAAAB7\","
            + "\"url\":\"" + github.baseUrl() + REF_PATH + "\",\"object\":{\"type\":\"commit\",\"sha\":\"" + COMMIT
            + "\",\"url\":\"" + github.baseUrl() + REPO_PATH + "/git/commits/" + COMMIT + "\"}}")));
  }

  /** {@code GET /repos/acme/.github/contents/taskbound/ceiling.yml?ref=COMMIT} answering {@code content}. */
  public static void stubContents(WireMockServer github, byte[] content) {
    stubFile(github, "taskbound/ceiling.yml", content);
  }

  private static void stubFile(WireMockServer github, String path, byte[] content) {
    String name = path.substring(path.lastIndexOf('/') + 1);
    String base64 = Base64.getMimeEncoder(60, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(content) + "\n";
    github.stubFor(get(urlEqualTo(contentsPath(path))).withHeader("Authorization", equalTo("token " + CEILING_TOKEN))
        .willReturn(GithubStubs.okJson("{\"type\":\"file\",\"encoding\":\"base64\",\"size\":" + content.length + ","
            + "\"name\":\"" + name + "\",\"path\":\"" + path + "\",\"content\":\""
            + base64.replace("\n", "\\n") + "\",\"sha\":\"3d21ec53a331a6f037a91c368710b99387d012c1\","
            + "\"url\":\"" + github.baseUrl() + contentsPath(path) + "\"}")));
  }

  /** The file's digest as the evidence records it. */
  public static String digest(String content) {
    try {
      return "sha256:" + HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every request the stand-in received, oldest first, as {@code METHOD url [who]} where who is
   * {@code app} (an App JWT), {@code ceiling} or {@code agent} (the token used) or {@code -}.
   */
  public static List<String> requestLog(WireMockServer github, String agentToken) {
    List<ServeEvent> events = new ArrayList<>(github.getAllServeEvents());
    java.util.Collections.reverse(events);
    List<String> log = new ArrayList<>();
    for (ServeEvent e : events) {
      String auth = e.getRequest().getHeader("Authorization");
      String who = auth == null ? "-"
          : auth.startsWith("Bearer ") ? "app"
          : auth.equals("token " + CEILING_TOKEN) ? "ceiling"
          : auth.equals("token " + agentToken) ? "agent"
          : "other";
      String body = e.getRequest().getMethod().getName().equals("POST") ? " " + e.getRequest().getBodyAsString() : "";
      log.add(e.getRequest().getMethod().getName() + " " + e.getRequest().getUrl() + " [" + who + "]" + body);
    }
    return log;
  }
}
