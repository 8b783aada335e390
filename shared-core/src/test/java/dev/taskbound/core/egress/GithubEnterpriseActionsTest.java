package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: on an inspected GitHub Enterprise Server host, the REST, GraphQL and upload paths are
 * judged by the same entries as api.github.com's and uploads.github.com's.
 */
class GithubEnterpriseActionsTest {
  private static final RequestActions GHE = RequestActions.shipped()
      .withGithubEnterprise(GithubApiPaths.of(URI.create("https://GHE.example/api/v3/")));

  private static String described(RequestActions.Match m) {
    return m.action() + " [" + m.pathTarget() + "] body=" + m.bodyField().orElse("-") + " graphql=" + m.needsGraphql()
        + " receive-pack=" + m.needsReceivePack();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "PATCH, /repos/o/r/git/refs/heads/main",
      "DELETE, /repos/o/r/git/refs/heads/taskbound/T/work",
      "POST, /repos/o/r/git/refs",
      "PUT, /repos/o/r/contents/src/a.txt",
      "DELETE, /repos/o/r/contents/src/a.txt",
      "PUT, /repos/o/r/pulls/7/merge",
      "POST, /repos/o/r/pulls",
      "POST, /repos/o/r/releases",
      "POST, /repos/o/r/actions/workflows/ci.yml/dispatches",
      "PATCH, /repos/o/r",
      "PUT, /repos/o/r/branches/main/protection",
      "GET, /repos/o/r/pulls",
  })
  void anEnterpriseRestPathIsTheActionItsGithubComPathIs(String method, String path) {
    // given the same request on api.github.com and under the Enterprise host's /api/v3

    // when each is matched
    RequestActions.Match dotCom = GHE.match("api.github.com", method, path);
    RequestActions.Match enterprise = GHE.match("ghe.example", method, "/api/v3" + path + "?per_page=1");

    // then both are the same action on the same target, and the evidence keeps the Enterprise prefix
    assertThat(described(enterprise)).isEqualTo(described(dotCom));
    if (dotCom.entry().isPresent()) {
      assertThat(enterprise.template()).isEqualTo("/api/v3" + dotCom.template());
    }
  }

  @Test
  void graphqlAtApiGraphqlIsTheGraphqlAction() {
    // given GraphQL where Enterprise Server serves it

    // when it is matched
    RequestActions.Match m = GHE.match("ghe.example", "POST", "/api/graphql");

    // then it is github.graphql, read from its body
    assertThat(m.action()).isEqualTo("github.graphql");
    assertThat(m.needsGraphql()).isTrue();
    assertThat(m.template()).isEqualTo("/api/graphql");
  }

  @Test
  void anUploadUnderApiUploadsIsTheUploadHostsAction() {
    // given a release asset upload where Enterprise Server takes it

    // when it is matched
    RequestActions.Match m = GHE.match("ghe.example", "POST", "/api/uploads/repos/o/r/releases/1/assets?name=a.zip");

    // then it is what the same upload to uploads.github.com is
    assertThat(m.action()).isEqualTo(GHE.match("uploads.github.com", "POST", "/repos/o/r/releases/1/assets").action())
        .isEqualTo("github.release.create");
    assertThat(m.template()).isEqualTo("/api/uploads/repos/{owner}/{repo}/releases/{id}/assets");
  }

  @Test
  void oddlyCasedPrefixesAreMatchedAsTheServerWouldReadThem() {
    assertThat(GHE.match("ghe.example", "PATCH", "/API/V3/repos/o/r/git/refs/heads/main").action()).isEqualTo("git.push");
    assertThat(GHE.match("ghe.example", "POST", "/Api/GraphQL").action()).isEqualTo("github.graphql");
  }

  @Test
  void gitOnTheEnterpriseHostIsStillJudgedByItsRefs() {
    assertThat(GHE.match("ghe.example", "POST", "/o/r.git/git-receive-pack").needsReceivePack()).isTrue();
    assertThat(GHE.match("ghe.example", "GET", "/o/r.git/info/refs").action()).isEqualTo(RequestActions.UNNAMED);
  }

  /** Attack review (MEDIUM-4): the spellings that were relayed unjudged as http.request. */
  @ParameterizedTest(name = "{0} {1} is {2}")
  @CsvSource({
      "POST, /api/graphql/, github.graphql",
      "POST, /api/GraphQL/, github.graphql",
      "POST, /api/graphql.json, github.graphql",
      "POST, /api/v3/graphql, github.graphql",
      "POST, /api%2Fv3/repos/o/r/pulls, github.pr.create",
      "PATCH, /api%2fv3/repos/o/r/git/refs/heads/main, git.push",
      "PATCH, /api/v3, github.api.write",
      "POST, /api/v3/, github.api.write",
      "POST, /api/uploads, github.api.write",
      "DELETE, /api/v4/repos/o/r, github.api.write",
      "PUT, /api, github.api.write",
      "POST, /o/r.git/git-upload-pack, http.request",
      "GET, /api/v3, http.request",
  })
  void aSpellingOnTheEnterpriseHostIsJudgedNeverRelayedUnnamed(String method, String path, String action) {
    assertThat(GHE.match("ghe.example", method, path).action()).isEqualTo(action);
  }

  @Test
  void pathParametersAndLowerCaseMethodsOnTheEnterpriseHostAreRefused() {
    for (String[] c : new String[][] {{"POST", "/api/v3;x/repos/o/r/pulls"}, {"POST", "/api;x/graphql"},
        {"PATCH", "/api/v3/repos/o/r/git/refs/heads/main;x"}, {"POST", "/api/v3%3Bx/repos/o/r/pulls"},
        {"post", "/api/v3/repos/o/r/pulls"}, {"POST", "/api/v3%2Frepos/o/r/pulls"}, {"delete", "/api/v3/repos/o/r"}}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> GHE.match("ghe.example", c[0], c[1]))
          .as(c[0] + " " + c[1]).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void anotherHostIsNotMappedNorIsGithubComsOwnApiUrl() {
    assertThat(GHE.match("other.example", "PATCH", "/api/v3/repos/o/r/git/refs/heads/main").action())
        .isEqualTo(RequestActions.UNNAMED);
    assertThat(GithubApiPaths.of(URI.create("https://api.github.com"))).isEmpty();
    assertThat(GithubApiPaths.of(URI.create("https://ghe.example/api/v3")))
        .hasValue(new GithubApiPaths("ghe.example", "/api/v3", "/api/graphql", "/api/uploads"));
    assertThat(GithubApiPaths.of(URI.create("https://gh-proxy.example")))
        .hasValue(new GithubApiPaths("gh-proxy.example", "", "/graphql", ""));
    assertThat(RequestActions.shipped().withGithubEnterprise(Optional.empty())
        .match("ghe.example", "PATCH", "/api/v3/repos/o/r/git/refs/heads/main").action()).isEqualTo(RequestActions.UNNAMED);
  }
}
