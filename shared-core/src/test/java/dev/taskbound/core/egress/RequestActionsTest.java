package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The shipped request-action table: GitHub's ref-moving and write endpoints are named, and odd spellings are refused. */
class RequestActionsTest {
  private static final RequestActions TABLE = RequestActions.shipped();

  private static String named(String method, String target) {
    RequestActions.Match m = TABLE.match("api.github.com", method, target);
    return m.action() + " " + m.pathTarget();
  }

  @Test
  void theRefEndpointsAreAPushOrADeletionOfTheRefInThePath() {
    assertThat(named("PATCH", "/repos/o/r/git/refs/heads/main")).isEqualTo("git.push refs/heads/main");
    assertThat(named("DELETE", "/repos/o/r/git/refs/heads/main")).isEqualTo("git.ref.delete refs/heads/main");
    RequestActions.Match create = TABLE.match("api.github.com", "POST", "/repos/o/r/git/refs");
    assertThat(create.action()).isEqualTo("git.push");
    assertThat(create.bodyField()).hasValue("ref");
  }

  @Test
  void contentWritesTakeTheirBranchFromTheBodyAndGraphqlIsNamed() {
    assertThat(TABLE.match("api.github.com", "PUT", "/repos/o/r/contents/a/b.txt").bodyField()).hasValue("branch");
    RequestActions.Match g = TABLE.match("api.github.com", "POST", "/graphql");
    assertThat(g.action()).isEqualTo("github.graphql");
    assertThat(g.needsGraphql()).isTrue();
  }

  @Test
  void anyOtherGithubApiWriteIsNamedAndReadsAreNot() {
    assertThat(named("PATCH", "/repos/o/r").strip()).isEqualTo("github.api.write");
    assertThat(named("PUT", "/repos/o/r/branches/main/protection").strip()).isEqualTo("github.api.write");
    assertThat(named("GET", "/repos/o/r").strip()).isEqualTo(RequestActions.UNNAMED);
  }

  @Test
  void aGithubApiWriteWhosePathEndsLikeAPackageIsStillAnApiWriteNeverAPublish() {
    // an environment (or starred repository) may be named like a file: the any-host package
    // entries (PUT /**/*.jar, allowed by default) must not see GitHub API writes first
    assertThat(named("PUT", "/repos/o/r/environments/prod.jar").strip()).isEqualTo("github.api.write");
    assertThat(named("PUT", "/user/starred/o/maven-metadata.xml").strip()).isEqualTo("github.api.write");
    assertThat(TABLE.match("uploads.github.com", "PUT", "/repos/o/r/x.pom").action()).isEqualTo("github.api.write");
    assertThat(TABLE.match("repo.example", "PUT", "/releases/a/b/1.0/b-1.0.jar").action()).isEqualTo("package.publish");
  }

  @Test
  void aReleaseAssetUploadIsPartOfMakingAReleaseAndAnyOtherUploadWriteIsAnApiWrite() {
    // given uploads.github.com, where release assets go

    // when an asset upload and another write are matched
    RequestActions.Match asset = TABLE.match("uploads.github.com", "POST", "/repos/o/r/releases/123/assets?name=app.zip");
    RequestActions.Match other = TABLE.match("uploads.github.com", "DELETE", "/repos/o/r/releases/assets/9");

    // then the upload is github.release.create (denied by default) and the query is not recorded
    assertThat(asset.action()).isEqualTo("github.release.create");
    assertThat(asset.template()).isEqualTo("/repos/{owner}/{repo}/releases/{id}/assets");
    assertThat(other.action()).isEqualTo("github.api.write");
    assertThat(TABLE.match("uploads.github.com", "GET", "/repos/o/r").action()).isEqualTo(RequestActions.UNNAMED);
  }

  @Test
  void encodedAndOddlyCasedSpellingsMatchAsTheServerReadsThem() {
    assertThat(TABLE.match("git.test", "POST", "/o/r.git/git%2Dreceive-pack").needsReceivePack()).isTrue();
    assertThat(TABLE.match("git.test", "POST", "/o/r.git/GIT-RECEIVE-PACK").needsReceivePack()).isTrue();
    assertThat(named("PATCH", "/REPOS/o/r/Git/Refs/heads/main")).isEqualTo("git.push refs/heads/main");
  }

  @Test
  void pathsWithEmptyOrDotSegmentsOrBadEscapesAreRefused() {
    for (String p : new String[] {"/repos/o/r//git/refs/heads/main", "/repos/o/r/x/../git/refs/heads/main",
        "/repos/o/r/%2e%2e/git", "/repos/o/r/./git", "/repos/%zz", "/repos/%2"}) {
      assertThatThrownBy(() -> RequestActions.normalised(p)).as(p).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(RequestActions.normalised("/@scope%2fname")).isEqualTo("/@scope%2fname");
    assertThat(RequestActions.normalised("/repos/o/r/")).isEqualTo("/repos/o/r/");
  }

  /** Review finding: a fragment made a push no push at all ("/o/r.git/git-receive-pack#x" matched nothing). */
  @Test
  void aFragmentOrABackslashInTheTargetIsRefused() {
    for (String p : new String[] {"/acme/app.git/git-receive-pack#x", "/acme/app.git/git-receive-pack#",
        "/acme/app.git\\git-receive-pack", "/v1/messages#x"}) {
      assertThatThrownBy(() -> TABLE.match("git.example.org", "POST", p)).as(p)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'#'");
    }
    assertThatThrownBy(() -> named("PUT", "/repos/o/r/pulls/1/merge#x")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Review finding: GitHub's paths by repository id fell to github.api.write, past the merge and ref rules. */
  @Test
  void aRepositoryByIdIsJudgedAsByItsName() {
    assertThat(named("PUT", "/repositories/123/pulls/1/merge")).startsWith("github.pr.merge ");
    assertThat(named("PATCH", "/repositories/123/git/refs/heads/main")).isEqualTo(named("PATCH", "/repos/o/r/git/refs/heads/main"));
    assertThat(named("DELETE", "/repositories/123/git/refs/heads/main")).isEqualTo(named("DELETE", "/repos/o/r/git/refs/heads/main"));
  }

  /** Attack review (MEDIUM-4): path parameters, raw or encoded, are refused in writes on every inspected host. */
  @Test
  void aSemicolonInThePathRawOrEncodedIsRefused() {
    for (String p : new String[] {"/acme/app.git/git-receive-pack;jsessionid=x", "/acme/app.git;x/git-receive-pack",
        "/acme/app.git/git-receive-pack%3Bx", "/acme/app.git/git-receive-pack%3bx"}) {
      assertThatThrownBy(() -> TABLE.match("git.example.org", "POST", p)).as(p)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("';'");
    }
    assertThatThrownBy(() -> named("PATCH", "/repos/o/r/git/refs/heads/main;x")).isInstanceOf(IllegalArgumentException.class);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}{2} is refused")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      // writes on any inspected host
      "PUT    | repo.example      | /releases/a/b/1.0/b-1.0.jar;jsessionid=x",
      "PUT    | registry.npmjs.org | /left-pad%3Bx",
      "POST   | git.example.org   | /acme/app.git/git-receive-pack;x",
      "DELETE | repo.example      | /a;x/b",
      // reads on GitHub's hosts
      "GET    | api.github.com    | /repos/o/r;x",
      "GET    | github.com        | /acme/app.git/info/refs;x",
      "HEAD   | uploads.github.com | /x%3By",
      "GET    | objects.githubusercontent.com | /a;b",
  })
  void aPathParameterInAWriteOrOnAGithubHostIsRefused(String method, String host, String path) {
    assertThatThrownBy(() -> TABLE.match(host, method, path)).as(method + " " + host + path)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("';'");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}{2} is judged as {3}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "GET     | repo.example       | /releases/a/b/1.0/b-1.0.jar;jsessionid=x | /releases/a/b/1.0/b-1.0.jar",
      "GET     | repo.example       | /a;v=1/b;v=2/c                          | /a/b/c",
      "HEAD    | registry.npmjs.org | /left-pad%3Bx                           | /left-pad",
      "OPTIONS | repo.example       | /a/b;x?q=1                              | /a/b?q=",
      "GET     | repo.example       | /;x                                     | /",
  })
  void aReadOnAnotherInspectedHostIsJudgedWithoutItsPathParameters(String method, String host, String path,
      String template) {
    // given a read with path parameters on an inspected host that is not GitHub's (a Maven repository)

    // when it is matched
    RequestActions.Match m = TABLE.match(host, method, path);

    // then it is judged (and recorded) without them; the gateway forwards the target unchanged
    assertThat(m.action()).isEqualTo(RequestActions.UNNAMED);
    assertThat(m.template()).isEqualTo(template).doesNotContain(";").doesNotContainIgnoringCase("%3b");
  }

  @Test
  void aReadWithPathParametersThatStillHasADotSegmentOrEmptySegmentIsRefused() {
    assertThatThrownBy(() -> TABLE.match("repo.example", "GET", "/a/..;x/b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dot segment");
    assertThatThrownBy(() -> TABLE.match("repo.example", "GET", "/a/;x/b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty segment");
  }

  @Test
  void aMethodThatIsNotAnUpperCaseTokenIsRefused() {
    for (String m : new String[] {"post", "Post", "pAtCh", "delete"}) {
      assertThatThrownBy(() -> named(m, "/repos/o/r/pulls")).as(m)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("upper-case");
      assertThatThrownBy(() -> TABLE.match("git.example.org", m, "/acme/app.git/git-receive-pack")).as(m)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(named("PROPFIND", "/repos/o/r").strip()).isEqualTo(RequestActions.UNNAMED);
  }

  @Test
  void aTrailingSlashNamesTheSameEntry() {
    assertThat(TABLE.match("git.example.org", "POST", "/acme/app.git/git-receive-pack/").needsReceivePack()).isTrue();
    assertThat(TABLE.match("api.github.com", "POST", "/graphql/").needsGraphql()).isTrue();
    assertThat(named("PATCH", "/repos/o/r/git/refs/heads/main/")).startsWith("git.push refs/heads/main");
    assertThat(named("POST", "/repos/o/r/pulls/").strip()).isEqualTo("github.pr.create");
    assertThat(TABLE.match("upload.pypi.org", "POST", "/legacy/").action()).isEqualTo("package.publish");
    assertThat(TABLE.match("upload.pypi.org", "POST", "/legacy").action()).isEqualTo("package.publish");
  }

  @Test
  void graphqlSpelledOtherwiseIsStillGraphql() {
    for (String p : new String[] {"/graphql/", "/graphql.json", "/GraphQL/", "/graphql/x"}) {
      RequestActions.Match g = TABLE.match("api.github.com", "POST", p);
      assertThat(g.action()).as(p).isEqualTo("github.graphql");
      assertThat(g.needsGraphql()).as(p).isTrue();
    }
  }

  @Test
  void anEncodedSlashIsJudgedAsEitherReadingAndRefusedWhenTheReadingsNameDifferentActions() {
    // an npm scope keeps its %2F: the publish is named either way
    assertThat(TABLE.match("registry.npmjs.org", "PUT", "/@scope%2fname").action()).isEqualTo("package.publish");
    // a server that reads %2F as / sees a push
    assertThat(TABLE.match("git.example.org", "POST", "/acme/app.git%2Fgit-receive-pack").needsReceivePack()).isTrue();
    // two readings, two different names (the API's catch-all write, a merge): refused
    assertThatThrownBy(() -> named("PUT", "/repos/o/r/pulls/7%2Fmerge")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("%2F");
    assertThatThrownBy(() -> named("POST", "/repos/o/r%2Fpulls")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("%2F");
    assertThatThrownBy(() -> TABLE.match("git.example.org", "POST", "/a%2F..%2Fb/git-receive-pack"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aGraphqlBodyIsAQueryOnlyWhenItCanBeReadAsOneWithoutAMutation() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertThat(InspectedConnection.graphqlKind(json.readTree("{\"query\":\"query { viewer { login } }\"}"))).isEqualTo("query");
    assertThat(InspectedConnection.graphqlKind(json.readTree(
        "{\"query\":\"mutation($i:CreateCommitOnBranchInput!){createCommitOnBranch(input:$i){commit{oid}}}\"}")))
        .isEqualTo("mutation");
    assertThat(InspectedConnection.graphqlKind(json.readTree("[{\"query\":\"query { a }\"}]"))).isEqualTo("mutation");
    assertThat(InspectedConnection.graphqlKind(null)).isEqualTo("mutation");
  }
}
