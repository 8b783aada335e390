package dev.taskbound.core.policy;

import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Resolves plain scalars by the YAML 1.2 core schema rather than SnakeYAML's YAML 1.1 default:
 * {@code true} and {@code false} are the only booleans ({@code yes}, {@code on}, {@code True} stay
 * strings, which the binder then refuses where a boolean is expected), numbers are 1.2 integers and
 * floats, and there are no timestamps or merge keys. The patterns are anchored and their only
 * repetitions are over character classes, which the JDK matches in a loop, so a long scalar cannot
 * exhaust the stack.
 */
final class Yaml12Resolver extends Resolver {
  private static final Pattern BOOL_12 = Pattern.compile("^(?:true|false)$");
  private static final Pattern INT_12 = Pattern.compile("^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$");
  private static final Pattern FLOAT_12 = Pattern.compile(
      "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$");
  private static final Pattern NULL_12 = Pattern.compile("^(?:~|null|Null|NULL)$");

  @Override
  protected void addImplicitResolvers() {
    addImplicitResolver(Tag.BOOL, BOOL_12, "tf");
    addImplicitResolver(Tag.INT, INT_12, "-+0123456789");
    addImplicitResolver(Tag.FLOAT, FLOAT_12, "-+.0123456789");
    addImplicitResolver(Tag.NULL, NULL_12, "~nN");
    addImplicitResolver(Tag.NULL, EMPTY, null);
  }
}
