package dev.taskbound.core.broker.github;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.kohsuke.github.GHAppInstallationToken;
import org.kohsuke.github.GHRepository;
import org.kohsuke.github.GHRepositorySelection;

/**
 * Checks a minted installation token's scope, as GitHub's response states it, against what was
 * asked. GitHub narrows a token to the request, so a broader answer means a server that ignored part
 * of it (an old GitHub Enterprise Server, something between us and GitHub): the token must then not
 * reach the agent. Only {@code metadata: read} may come unasked: GitHub gives it to every token. A
 * response that does not say (no permissions; named repositories without their list) is refused
 * too, since the promise is the scope, not the request. Stateless.
 */
final class GrantedScope {
  /** Granted to every installation token whatever was asked (GitHub's mandatory permission). */
  private static final Map<String, String> ALWAYS_GRANTED = Map.of("metadata", "read");

  private GrantedScope() {}

  /** What the response grants beyond {@code asked}, one line; empty when it grants no more. */
  static Optional<String> beyond(GHAppInstallationToken minted, GithubAppConfig asked) {
    List<String> excess = new ArrayList<>();
    Map<String, String> permissions = permissionsOf(minted);
    if (permissions.isEmpty()) {
      excess.add("the response does not say which permissions the token has");
    } else {
      new TreeMap<>(permissions).forEach((name, level) -> permissionBeyond(name, level, asked).ifPresent(excess::add));
    }
    if (!asked.wholeOwner()) {
      repositoriesBeyond(minted, asked).ifPresent(excess::add);
    }
    return excess.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", excess));
  }

  /** The answer's permissions; empty when it has none (github-api then throws rather than answer null). */
  private static Map<String, String> permissionsOf(GHAppInstallationToken minted) {
    try {
      Map<String, String> permissions = minted.getPermissions();
      return permissions == null ? Map.of() : permissions;
    } catch (NullPointerException noPermissions) {
      return Map.of();
    }
  }

  private static Optional<String> permissionBeyond(String name, String level, GithubAppConfig asked) {
    String wanted = asked.permissions().get(name);
    if (level != null && level.equals(ALWAYS_GRANTED.get(name))) {
      return Optional.empty();
    }
    if (wanted == null) {
      return Optional.of(name + ":" + level + " was not asked for");
    }
    if (rank(level) == 0 || rank(level) > rank(wanted)) {
      return Optional.of(name + ":" + level + " where " + name + ":" + wanted + " was asked");
    }
    return Optional.empty();
  }

  private static Optional<String> repositoriesBeyond(GHAppInstallationToken minted, GithubAppConfig asked) {
    if (minted.getRepositorySelection() != GHRepositorySelection.SELECTED) {
      return Optional.of("repository_selection is " + symbol(minted.getRepositorySelection())
          + " where only " + asked.repositories() + " were asked");
    }
    List<GHRepository> listed = minted.getRepositories();
    if (listed == null || listed.isEmpty()) {
      return Optional.of("the response does not list the token's repositories");
    }
    Set<String> wanted = asked.repositories().stream().map(r -> r.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    List<String> extra = listed.stream().map(repository -> fullName(repository, asked.owner()))
        .filter(name -> !wanted.contains(name.toLowerCase(Locale.ROOT))).sorted().toList();
    return extra.isEmpty() ? Optional.empty() : Optional.of("repositories " + extra + " were not asked for");
  }

  /**
   * {@code owner/name}: the full name, else the name under the installation's owner (a token covers
   * one owner's repositories); a repository listed without either counts as one not asked for.
   */
  private static String fullName(GHRepository repository, String owner) {
    if (repository.getFullName() != null) {
      return repository.getFullName();
    }
    return repository.getName() != null ? owner + "/" + repository.getName() : "(unnamed repository " + repository.getId() + ")";
  }

  private static String symbol(GHRepositorySelection selection) {
    return selection == null ? "missing" : selection.name().toLowerCase(Locale.ROOT);
  }

  /** 1 read, 2 write, 3 admin; 0 for anything else (never within what was asked). */
  static int rank(Object level) {
    if (level == null) {
      return 0;
    }
    return switch (level.toString().toLowerCase(Locale.ROOT)) {
      case "read" -> 1;
      case "write" -> 2;
      case "admin" -> 3;
      default -> 0;
    };
  }
}
