package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A host path as a policy writes it in {@code sandbox.paths}: absolute ({@code /opt/tools}), under
 * the invoking user's home ({@code ~/.m2/repository}), or under the workspace ({@code $WORKSPACE},
 * {@code $WORKSPACE/build}, {@code $WORKSPACE@tmp} for Jenkins' control directory beside it). Kept
 * as written (canonicalised: no {@code .}, no empty segment, no trailing {@code /}) so that narrowing
 * compares paths with the same root without knowing the host; {@link #expand} gives the host path.
 * {@code ..} is refused, so a path never climbs out of what it names. Immutable.
 *
 * @param root where the path starts
 * @param rest the rest after the root, without a leading {@code /} (for {@link Root#WORKSPACE} it
 *     may start with a suffix of the workspace's own name, such as {@code @tmp}); empty for the root
 *     itself
 */
public record PolicyPath(Root root, String rest) {
  /** Where a policy path starts. */
  public enum Root {
    /** {@code /}. */
    ABSOLUTE("/"),
    /** {@code ~}: the invoking user's {@code HOME}. */
    HOME("~"),
    /** {@code $WORKSPACE}: the agent's working directory. */
    WORKSPACE("$WORKSPACE");

    final String spelling;

    Root(String spelling) {
      this.spelling = spelling;
    }
  }

  static final String ACCEPTED =
      "an absolute path, ~ or ~/PATH (the invoking user's home), $WORKSPACE, $WORKSPACE/PATH or $WORKSPACE@tmp,"
          + " without '..'";

  public PolicyPath {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(rest, "rest");
  }

  /**
   * Parses and canonicalises a policy path.
   *
   * @throws PolicyException (without a location; the binder adds it) if the text is not one of the
   *     accepted forms or has a {@code ..} segment
   */
  public static PolicyPath parse(String text) {
    Root root;
    String tail;
    if (text.startsWith("/")) {
      root = Root.ABSOLUTE;
      tail = text.substring(1);
    } else if (text.equals("~") || text.startsWith("~/")) {
      root = Root.HOME;
      tail = text.substring(1);
    } else if (text.equals("$WORKSPACE") || text.startsWith("$WORKSPACE/") || text.startsWith("$WORKSPACE@")) {
      root = Root.WORKSPACE;
      tail = text.substring("$WORKSPACE".length());
    } else {
      throw new PolicyException(SafeText.quoted(text) + " is not accepted; accepted: " + ACCEPTED);
    }
    if (text.length() > 4096 || text.indexOf('\0') >= 0) {
      throw new PolicyException(SafeText.quoted(text) + " is not accepted; accepted: " + ACCEPTED
          + " of at most 4096 characters");
    }
    String suffix = "";
    if (root == Root.WORKSPACE && tail.startsWith("@")) {
      int slash = tail.indexOf('/');
      suffix = slash < 0 ? tail : tail.substring(0, slash);
      tail = slash < 0 ? "" : tail.substring(slash);
      if (!suffix.matches("@[A-Za-z0-9._-]{1,64}")) {
        throw new PolicyException(SafeText.quoted(text) + " is not accepted; accepted: " + ACCEPTED);
      }
    }
    List<String> segments = new ArrayList<>();
    for (String s : tail.split("/")) {
      if (s.equals("..")) {
        throw new PolicyException(SafeText.quoted(text) + " contains '..'; accepted: " + ACCEPTED);
      }
      if (!s.isEmpty() && !s.equals(".")) {
        segments.add(s);
      }
    }
    String joined = String.join("/", segments);
    return new PolicyPath(root, suffix.isEmpty() ? joined : joined.isEmpty() ? suffix : suffix + "/" + joined);
  }

  /**
   * Whether this path is {@code upper} or lies below it. Paths with different roots never cover each
   * other, except that {@code /} covers every absolute path: the check is made on the text as written,
   * before anything is expanded.
   */
  public boolean isWithin(PolicyPath upper) {
    if (root != upper.root) {
      return false;
    }
    if (upper.rest.isEmpty()) {
      // "$WORKSPACE" covers "$WORKSPACE/x" but not "$WORKSPACE@tmp", a sibling
      return root != Root.WORKSPACE || rest.isEmpty() || !rest.startsWith("@");
    }
    return rest.equals(upper.rest) || rest.startsWith(upper.rest + "/");
  }

  /** The host path: {@code ~} is {@code home}, {@code $WORKSPACE} is {@code workspace}. */
  public Path expand(Path home, Path workspace) {
    switch (root) {
      case HOME:
        return rest.isEmpty() ? home : home.resolve(rest);
      case WORKSPACE:
        if (rest.startsWith("@")) {
          return workspace.resolveSibling(workspace.getFileName() + rest);
        }
        return rest.isEmpty() ? workspace : workspace.resolve(rest);
      default:
        return Path.of("/" + rest);
    }
  }

  /** As written, canonical: {@code /opt/tools}, {@code ~/.m2}, {@code $WORKSPACE@tmp}. */
  @Override
  public String toString() {
    if (rest.isEmpty()) {
      return root.spelling;
    }
    if (root == Root.ABSOLUTE) {
      return "/" + rest;
    }
    return root.spelling + (rest.startsWith("@") ? "" : "/") + rest;
  }
}
