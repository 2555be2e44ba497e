// main() for applications linked with nodus::main: they define nodus_main(nodus::app&).
#include <nodus/app.hpp>
#include <nodus/loop/loop.hpp>

void nodus_main(nodus::app& app);

int main(int argc, char** argv) {
    nodus::app app{argc, argv};
    nodus_main(app);
    return nodus::run();
}
