"""``python -m pykeras info`` prints the build; ``python -m pykeras demo`` trains a model."""
import argparse
import sys


def info():
    import pykeras
    from pykeras import _core, config

    print(f"pykeras {pykeras.__version__}")
    print(f"compiled kernel paths: {', '.join(_core.compiled_isas())}")
    print(f"selected at run time:  {_core.selected_isa()}")
    print(f"threads:               {config.get_num_threads()}")


def demo():
    from pykeras.demo import main

    main()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pykeras", description=__doc__)
    parser.add_argument("command", choices=["info", "demo"], help="what to do")
    args = parser.parse_args(argv)
    {"info": info, "demo": demo}[args.command]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
