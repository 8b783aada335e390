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
