package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * HotSpot never JIT-compiles a method of more than 8000 bytes of bytecode; an interpreter
 * method over it would run interpreted forever. No method of the CPU may grow past it.
 */
class MethodSizeTest {
    static final int HUGE_METHOD_LIMIT = 8000;

    @Test
    void everyCpuMethodStaysCompilable() throws IOException, URISyntaxException {
        Path classes = Path.of(Cpu.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = classes.resolve("dev/ukemu/core/cpu");
        List<String> tooBig = new ArrayList<>();
        int methods = 0;
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                ClassModel cm = ClassFile.of().parse(f);
                for (MethodModel m : cm.methods()) {
                    var code = m.findAttribute(java.lang.classfile.Attributes.code());
                    if (code.isPresent()) {
                        methods++;
                        int len = ((CodeAttribute) code.get()).codeLength();
                        if (len > HUGE_METHOD_LIMIT) {
                            tooBig.add(cm.thisClass().asInternalName() + "." + m.methodName().stringValue() + " " + len + " bytes");
                        }
                    }
                }
            }
        }
        assertTrue(methods > 100, "found only " + methods + " methods");
        assertTrue(tooBig.isEmpty(), "methods HotSpot will not compile: " + tooBig);
    }
}
